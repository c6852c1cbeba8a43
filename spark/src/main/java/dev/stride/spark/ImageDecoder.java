package dev.stride.spark;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import javax.imageio.ImageIO;

/**
 * Turns the bytes in a binary column into a model's input: {@code C*H*W} floats in PyTorch's {@code
 * (C, H, W)} order. Serializable, because Spark ships it to the executors.
 */
@FunctionalInterface
public interface ImageDecoder extends Serializable {
  /**
   * The model input encoded in {@code bytes}; its length is checked against the model's input.
   *
   * @throws IOException if {@code bytes} is not an image this decoder reads
   */
  float[] decode(byte[] bytes) throws IOException;

  /**
   * Raw 8-bit pixels, one byte each, already in {@code (C, H, W)} order (as in the IDX files of
   * MNIST and Fashion-MNIST), scaled to [0, 1] as torchvision's {@code ToTensor} does: {@code byte
   * / 255}.
   */
  static ImageDecoder unsignedBytes() {
    return bytes -> {
      float[] pixels = new float[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        pixels[i] = (bytes[i] & 0xff) / 255f;
      }
      return pixels;
    };
  }

  /**
   * An image file the JDK reads (PNG, JPEG, GIF, BMP) at its own size, as {@code channels} planes
   * scaled to [0, 1] like {@code ToTensor}: 1 for grey (the JDK's conversion to 8-bit grey), 3 for
   * red, green and blue planes in that order.
   *
   * @throws IllegalArgumentException if {@code channels} is neither 1 nor 3
   */
  static ImageDecoder imageFile(int channels) {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
    }
    return bytes -> {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
      if (image == null) {
        throw new IOException("not an image the JDK can read (PNG, JPEG, GIF, BMP)");
      }
      int w = image.getWidth();
      int h = image.getHeight();
      int plane = w * h;
      float[] pixels = new float[channels * plane];
      if (channels == 1) {
        BufferedImage grey = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        grey.getGraphics().drawImage(image, 0, 0, null);
        int[] values = grey.getRaster().getPixels(0, 0, w, h, (int[]) null);
        for (int i = 0; i < plane; i++) {
          pixels[i] = values[i] / 255f;
        }
        return pixels;
      }
      int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
      for (int i = 0; i < plane; i++) {
        pixels[i] = ((argb[i] >> 16) & 0xff) / 255f;
        pixels[plane + i] = ((argb[i] >> 8) & 0xff) / 255f;
        pixels[2 * plane + i] = (argb[i] & 0xff) / 255f;
      }
      return pixels;
    };
  }
}
