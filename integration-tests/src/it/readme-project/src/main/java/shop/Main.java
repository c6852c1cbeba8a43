package shop;

import dev.stride.runtime.WeightNames;
import java.nio.file.Path;
import java.util.Arrays;

class Main {
  public static void main(String[] args) throws Exception {
    System.out.println(LeNetModel.summary());             // shapes, parameters, multiply-adds
    LeNetModel net = args.length > 0
        ? LeNetModel.load(Path.of(args[0]), WeightNames.sequential())  // d2l's torch.save file
        : LeNetModel.random(42);                          // PyTorch's initialisation, seeded
    float[] image = new float[1 * 28 * 28];               // one sample, (C, H, W) order
    float[] logits = net.forward(image);                  // 10 scores
    System.out.println(Arrays.toString(logits));
  }
}
