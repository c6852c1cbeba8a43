package dev.stride.runtime.image;

import dev.stride.runtime.Model;
import dev.stride.runtime.Shape;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * Turns pictures into a model's input, {@code C*H*W} floats in PyTorch's {@code (C, H, W)} order,
 * as torchvision's transforms make them from a PIL image:
 *
 * <pre>{@code
 * # PyTorch                                        // Java
 * T.Compose([T.Resize((28, 28), antialias=False),  ImageInput in = ImageInput.of(model);
 *            T.ToTensor()])                        float[] x = in.apply(Path.of("bag.png"));
 *
 * T.Compose([T.Resize(256, antialias=False), T.CenterCrop(224), T.ToTensor(),
 *            T.Normalize(mean, std)])
 *                       // ImageInput.of(model).resizeShorterSide(256).normalize(mean, std)
 * }</pre>
 *
 * <p>The steps, in order:
 *
 * <ol>
 *   <li>Colour: to the model's channels. One channel is PIL's {@code convert("L")}: ITU-R 601-2
 *       luma, {@code (19595 R + 38470 G + 7471 B + 32768) >> 16}, rounded to 8 bits; an 8-bit
 *       grayscale image is taken as stored. Three channels are R, G, B; a grayscale image's value
 *       is repeated, and alpha is dropped, as {@code convert("RGB")} does.
 *   <li>Scale: each 8-bit value {@code v} becomes {@code v / 255f}, as {@code ToTensor} does.
 *   <li>Resize: to the model's {@code H x W}, or with {@link #resizeShorterSide} to a shorter side
 *       of that many pixels followed by a centre crop to {@code H x W}. Resizing is bilinear with
 *       half-pixel centres and no antialiasing: {@code torch.nn.functional.interpolate(x,
 *       mode="bilinear", align_corners=False)}, which is what {@code T.Resize(...,
 *       antialias=False)} does to a tensor. PIL's own resize (torchvision's on PIL images)
 *       antialiases when it shrinks and rounds to 8 bits, so it differs by up to a few levels
 *       there. An image already {@code H x W} is not resampled.
 *   <li>Normalise, if {@link #normalize} was given: {@code (x - mean[c]) / std[c]} per channel.
 * </ol>
 *
 * <p>Instances are immutable and thread-safe; each method returns a new one.
 */
public final class ImageInput {
  /** ImageNet's per-channel mean, which torchvision's pretrained models expect. */
  public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};

  /** ImageNet's per-channel standard deviation, as {@link #IMAGENET_MEAN}. */
  public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

  private final int channels;
  private final int height;
  private final int width;
  private final int shorterSide; // 0: resize straight to height x width
  private final float[] mean; // null: no normalisation
  private final float[] std;

  private ImageInput(
      int channels, int height, int width, int shorterSide, float[] mean, float[] std) {
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.shorterSide = shorterSide;
    this.mean = mean;
    this.std = std;
  }

  /**
   * Input for {@code model}, whose input shape ({@code model.network().input()}) gives the channels
   * and size.
   *
   * @throws IllegalArgumentException if the model's input is not {@code (1 or 3, H, W)}
   */
  public static ImageInput of(Model model) {
    Shape input = model.network().input();
    if (input.isFlat()) {
      throw new IllegalArgumentException(
          model.network().name()
              + " takes a flat input "
              + input
              + ", not an image; images need an input of (C, H, W)");
    }
    return of(input.channels(), input.height(), input.width());
  }

  /**
   * Input of {@code channels} (1 for grayscale, 3 for RGB) by {@code height} by {@code width}.
   *
   * @throws IllegalArgumentException if {@code channels} is not 1 or 3, or a size is below 1
   */
  public static ImageInput of(int channels, int height, int width) {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException(
          "an image input has 1 (grayscale) or 3 (RGB) channels, not " + channels);
    }
    if (height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "an image input needs a positive size, not " + height + " x " + width);
    }
    return new ImageInput(channels, height, width, 0, null, null);
  }

  /**
   * These steps with normalisation: channel {@code c} becomes {@code (x - mean[c]) / std[c]}, as
   * {@code T.Normalize(mean, std)}; e.g. {@link #IMAGENET_MEAN} and {@link #IMAGENET_STD}.
   *
   * @throws IllegalArgumentException if either array's length is not the number of channels, or a
   *     standard deviation is not positive
   */
  public ImageInput normalize(float[] mean, float[] std) {
    if (mean.length != channels || std.length != channels) {
      throw new IllegalArgumentException(
          "expected "
              + channels
              + " means and standard deviations, one per channel, but got "
              + mean.length
              + " and "
              + std.length);
    }
    for (float s : std) {
      if (!(s > 0) || Float.isInfinite(s)) {
        throw new IllegalArgumentException("a standard deviation must be positive: " + s);
      }
    }
    return new ImageInput(channels, height, width, shorterSide, mean.clone(), std.clone());
  }

  /**
   * These steps, resizing so that the shorter side is {@code size} pixels (the longer one keeps the
   * aspect ratio, rounded down) and then cropping the centre {@code H x W}, as {@code
   * T.Resize(size)} followed by {@code T.CenterCrop((H, W))}.
   *
   * @throws IllegalArgumentException if {@code size} is smaller than {@code H} or {@code W}
   */
  public ImageInput resizeShorterSide(int size) {
    if (size < Math.max(height, width)) {
      throw new IllegalArgumentException(
          "the shorter side must be at least the crop's "
              + height
              + " x "
              + width
              + ", not "
              + size);
    }
    return new ImageInput(channels, height, width, size, mean, std);
  }

  /** The input's shape, {@code (C, H, W)}. */
  public Shape shape() {
    return new Shape(channels, height, width);
  }

  /** The number of floats {@link #apply(BufferedImage)} returns: {@code C * H * W}. */
  public int size() {
    return channels * height * width;
  }

  /** One image as {@code C*H*W} floats in {@code (C, H, W)} order. */
  public float[] apply(BufferedImage image) {
    float[] out = new float[size()];
    apply(image, out, 0);
    return out;
  }

  /**
   * The image in {@code file} (PNG, JPEG, BMP or GIF, as {@link ImageIO} reads them), as {@link
   * #apply(BufferedImage)}.
   *
   * @throws IOException naming the file, if it is missing, a directory, or not an image
   */
  public float[] apply(Path file) throws IOException {
    return apply(read(file));
  }

  /** Several images back to back, {@code (N, C, H, W)}, for {@code forward(input, N)}. */
  public float[] apply(List<BufferedImage> images) {
    float[] out = new float[Math.multiplyExact(images.size(), size())];
    for (int i = 0; i < images.size(); i++) {
      apply(images.get(i), out, i * size());
    }
    return out;
  }

  /**
   * Reads an image file with {@link ImageIO}.
   *
   * @throws IOException naming the file, if it is missing, a directory, or not an image
   */
  public static BufferedImage read(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IOException(file + " is a directory, not an image");
    }
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    BufferedImage image;
    try {
      image = ImageIO.read(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": cannot read the image (" + e.getMessage() + ")", e);
    }
    if (image == null) {
      throw new IOException(
          file
              + " is not an image ImageIO can read (it reads "
              + String.join(", ", ImageIO.getReaderFormatNames()).toLowerCase(java.util.Locale.ROOT)
              + ")");
    }
    return image;
  }

  private void apply(BufferedImage image, float[] out, int offset) {
    Objects.requireNonNull(image, "image");
    float[] pixels = pixels(image, channels);
    int h = image.getHeight();
    int w = image.getWidth();
    if (shorterSide > 0) {
      int newH;
      int newW;
      if (h <= w) {
        newH = shorterSide;
        newW = (int) ((long) shorterSide * w / h);
      } else {
        newW = shorterSide;
        newH = (int) ((long) shorterSide * h / w);
      }
      float[] resized = resize(pixels, channels, h, w, newH, newW);
      // torchvision's CenterCrop rounds half to even (Python's round).
      int top = (int) Math.rint((newH - height) / 2.0);
      int left = (int) Math.rint((newW - width) / 2.0);
      for (int c = 0; c < channels; c++) {
        for (int y = 0; y < height; y++) {
          System.arraycopy(
              resized,
              (c * newH + top + y) * newW + left,
              out,
              offset + (c * height + y) * width,
              width);
        }
      }
    } else {
      float[] resized = resize(pixels, channels, h, w, height, width);
      System.arraycopy(resized, 0, out, offset, resized.length);
    }
    if (mean != null) {
      int plane = height * width;
      for (int c = 0; c < channels; c++) {
        int from = offset + c * plane;
        for (int i = from; i < from + plane; i++) {
          out[i] = (out[i] - mean[c]) / std[c];
        }
      }
    }
  }

  /** The image's pixels as {@code (C, h, w)} floats in [0, 1], as ToTensor of PIL's convert. */
  static float[] pixels(BufferedImage image, int channels) {
    int h = image.getHeight();
    int w = image.getWidth();
    float[] out = new float[Math.multiplyExact(Math.multiplyExact(channels, h), w)];
    Raster raster = image.getRaster();
    // An 8-bit gray image's samples as stored: getRGB would convert them from linear gray to sRGB.
    boolean gray8 =
        raster.getNumBands() == 1
            && image.getColorModel().getNumComponents() == 1
            && raster.getSampleModel().getSampleSize(0) == 8;
    int plane = h * w;
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      if (gray8) {
        raster.getSamples(0, y, w, 1, 0, row);
      } else {
        image.getRGB(0, y, w, 1, row, 0, w);
      }
      for (int x = 0; x < w; x++) {
        int i = y * w + x;
        if (gray8) {
          float v = row[x] / 255f;
          for (int c = 0; c < channels; c++) {
            out[c * plane + i] = v;
          }
        } else {
          int r = (row[x] >> 16) & 0xff;
          int g = (row[x] >> 8) & 0xff;
          int b = row[x] & 0xff;
          if (channels == 1) {
            out[i] = ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) / 255f;
          } else {
            out[i] = r / 255f;
            out[plane + i] = g / 255f;
            out[2 * plane + i] = b / 255f;
          }
        }
      }
    }
    return out;
  }

  /**
   * Bilinear resampling of {@code (C, h, w)} to {@code (C, outH, outW)} as PyTorch's {@code
   * upsample_bilinear2d} with {@code align_corners=False}: source coordinate {@code (d + 0.5) * in
   * / out - 0.5}, clamped at 0, between a pixel and its next (the edge repeating).
   */
  static float[] resize(float[] in, int channels, int h, int w, int outH, int outW) {
    if (h == outH && w == outW) {
      return Arrays.copyOf(in, in.length);
    }
    int[] y0 = new int[outH];
    int[] y1 = new int[outH];
    float[] ly = new float[outH];
    axis(h, outH, y0, y1, ly);
    int[] x0 = new int[outW];
    int[] x1 = new int[outW];
    float[] lx = new float[outW];
    axis(w, outW, x0, x1, lx);
    float[] out = new float[channels * outH * outW];
    for (int c = 0; c < channels; c++) {
      int src = c * h * w;
      int dst = c * outH * outW;
      for (int y = 0; y < outH; y++) {
        int top = src + y0[y] * w;
        int bottom = src + y1[y] * w;
        float h1 = ly[y];
        float h0 = 1 - h1;
        for (int x = 0; x < outW; x++) {
          float w1 = lx[x];
          float w0 = 1 - w1;
          out[dst + y * outW + x] =
              h0 * (w0 * in[top + x0[x]] + w1 * in[top + x1[x]])
                  + h1 * (w0 * in[bottom + x0[x]] + w1 * in[bottom + x1[x]]);
        }
      }
    }
    return out;
  }

  /** Each output index's two source indices and the second one's weight, along one axis. */
  private static void axis(int in, int out, int[] i0, int[] i1, float[] lambda) {
    float scale = (float) in / out;
    for (int d = 0; d < out; d++) {
      float src = Math.max(scale * (d + 0.5f) - 0.5f, 0f);
      int i = (int) src;
      i0[d] = i;
      i1[d] = i < in - 1 ? i + 1 : i;
      lambda[d] = src - i;
    }
  }

  @Override
  public String toString() {
    return "ImageInput["
        + shape()
        + (shorterSide > 0 ? ", shorter side " + shorterSide + " then centre crop" : "")
        + (mean != null ? ", mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) : "")
        + "]";
  }
}
