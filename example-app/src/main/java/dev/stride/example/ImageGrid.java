package dev.stride.example;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A PNG grid of test images captioned with the predicted and the true class, as d2l's {@code
 * show_images}: green captions where the prediction is right, red where it is wrong.
 */
public final class ImageGrid {
  private static final int SCALE = 3;
  private static final int SIDE = 28 * SCALE;
  private static final int CELL_W = 104;
  private static final int CAPTION_H = 30;
  private static final int CELL_H = SIDE + CAPTION_H + 6;
  private static final Color RIGHT = new Color(0, 120, 0);
  private static final Color WRONG = new Color(190, 0, 0);

  private ImageGrid() {}

  /**
   * Draws the first {@code rows * columns} images of {@code data} with their predictions.
   *
   * @param predicted the predicted class of each image, in the data set's order
   */
  public static void write(Path png, FashionMnist data, int[] predicted, int rows, int columns)
      throws IOException {
    int n = Math.min(rows * columns, data.count());
    BufferedImage grid =
        new BufferedImage(columns * CELL_W, rows * CELL_H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = grid.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      for (int i = 0; i < n; i++) {
        int x = (i % columns) * CELL_W + (CELL_W - SIDE) / 2;
        int y = (i / columns) * CELL_H + 3;
        drawImage(grid, data.images(), i, x, y);
        int truth = data.labels()[i];
        g.setColor(predicted[i] == truth ? RIGHT : WRONG);
        g.drawString("pred: " + FashionMnist.CLASSES.get(predicted[i]), x - 6, y + SIDE + 12);
        g.setColor(Color.DARK_GRAY);
        g.drawString("true: " + FashionMnist.CLASSES.get(truth), x - 6, y + SIDE + 25);
      }
    } finally {
      g.dispose();
    }
    if (!ImageIO.write(grid, "png", png.toFile())) {
      throw new IOException("no PNG writer available");
    }
  }

  /** Writes image {@code index} of {@code data} as an 8-bit grayscale PNG, as stored (28 x 28). */
  public static void writeImage(Path png, FashionMnist data, int index) throws IOException {
    BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    int base = index * FashionMnist.PIXELS;
    for (int i = 0; i < FashionMnist.PIXELS; i++) {
      image.getRaster().setSample(i % 28, i / 28, 0, Math.round(data.images()[base + i] * 255));
    }
    if (!ImageIO.write(image, "png", png.toFile())) {
      throw new IOException("no PNG writer available");
    }
  }

  /** Fashion-MNIST is drawn dark on light, as d2l's figures show it. */
  private static void drawImage(BufferedImage grid, float[] images, int index, int x, int y) {
    int base = index * FashionMnist.PIXELS;
    for (int r = 0; r < 28 * SCALE; r++) {
      for (int c = 0; c < 28 * SCALE; c++) {
        float v = images[base + (r / SCALE) * 28 + c / SCALE];
        int grey = 255 - Math.round(v * 255);
        grid.setRGB(x + c, y + r, (grey << 16) | (grey << 8) | grey);
      }
    }
  }
}
