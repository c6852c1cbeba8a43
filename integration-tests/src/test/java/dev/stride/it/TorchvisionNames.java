package dev.stride.it;

import dev.stride.runtime.WeightNames;

/**
 * How torchvision names the tensors of {@link ResNet18} and {@link MobileNetV2}: {@code
 * WeightNames.replace} rules, applied in order to every field key ({@code String.replaceAll}). The
 * rules are kept as data too, so the tests can map a summary row's path to torchvision's module.
 */
public final class TorchvisionNames {
  private TorchvisionNames() {}

  /** {@code layer2.0.downsample.conv} is torchvision's {@code layer2.0.downsample.0}. */
  public static final String[][] RESNET = {
    {"\\.downsample\\.conv\\.", ".downsample.0."}, {"\\.downsample\\.bn\\.", ".downsample.1."},
  };

  /**
   * {@code bN} is {@code features.N}; inside it torchvision numbers the InvertedResidual's {@code
   * conv} sequence (expand, depthwise, project, bn: {@code conv.0} to {@code conv.3}; features.1
   * has no expand, so its three start at {@code conv.0}) and each Conv2dNormActivation's parts
   * (conv {@code 0}, bn {@code 1}).
   */
  public static final String[][] MOBILENET_V2 = {
    {"^b1\\.depthwise\\.", "features.1.conv.0."},
    {"^b1\\.project\\.", "features.1.conv.1."},
    {"^b1\\.bn\\.", "features.1.conv.2."},
    {"^b(\\d+)\\.expand\\.", "features.$1.conv.0."},
    {"^b(\\d+)\\.depthwise\\.", "features.$1.conv.1."},
    {"^b(\\d+)\\.project\\.", "features.$1.conv.2."},
    {"^b(\\d+)\\.bn\\.", "features.$1.conv.3."},
    {"^stem\\.", "features.0."},
    {"^head\\.", "features.18."},
    {"\\.conv\\.weight$", ".0.weight"},
    {"\\.bn\\.", ".1."},
    {"^fc\\.", "classifier.1."},
  };

  static WeightNames resnet() {
    return names(RESNET);
  }

  static WeightNames mobileNetV2() {
    return names(MOBILENET_V2);
  }

  static WeightNames names(String[][] rules) {
    WeightNames names = WeightNames.fields();
    for (String[] rule : rules) {
      names = names.replace(rule[0], rule[1]);
    }
    return names;
  }

  /** A field key as the rules write it in the file: what {@code WeightNames.replace} does. */
  static String fileKey(String[][] rules, String fieldKey) {
    String key = fieldKey;
    for (String[] rule : rules) {
      key = key.replaceAll(rule[0], rule[1]);
    }
    return key;
  }
}
