package dev.stride.processor.check;

import dev.stride.processor.model.FieldModel;
import dev.stride.processor.model.LayerPlan;
import dev.stride.processor.model.LayerSpec;
import dev.stride.processor.model.NetworkModel;
import dev.stride.processor.model.NetworkPlan;
import dev.stride.processor.model.Shape;
import dev.stride.processor.model.Site;
import dev.stride.processor.model.Window;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Infers every layer's shape and checks every rule of the contract, collecting all diagnostics of a
 * spec in one pass.
 *
 * <p>After a mistake it keeps going: attribute checks never depend on the shape, and shape checks
 * continue from the next layer whose output is known again (a {@code @Linear}'s output is known
 * from its own {@code outFeatures}, whatever its input).
 */
public final class NetworkChecker {
  private final NetworkModel model;
  private final List<Finding> findings = new ArrayList<>();
  private final List<LayerPlan> plans = new ArrayList<>();

  /**
   * The (C, H, W) shape a flat input was flattened from, while nothing but shape-keeping layers
   * followed the {@code @Flatten}: messages about the flat size then show where it came from.
   */
  private Shape flattenedFrom;

  private NetworkChecker(NetworkModel model) {
    this.model = model;
  }

  /** Checks a spec; the report has a plan only when there is no error. */
  public static Report check(NetworkModel model) {
    return new NetworkChecker(model).run();
  }

  /** Reports a layer annotation on a field of {@code owner}, a class without {@code @Network}. */
  public static Report checkOrphan(FieldModel field, String owner) {
    List<Finding> findings = new ArrayList<>();
    for (String annotation : field.annotations()) {
      findings.add(
          Finding.at(
              field.site(),
              null,
              Message.LAYER_OUTSIDE_NETWORK,
              field.name(),
              annotation,
              owner,
              owner,
              annotation));
    }
    return new Report(findings, null);
  }

  private Report run() {
    Site spec = model.site();
    if (!model.isClass()) {
      findings.add(
          Finding.on(
              spec.element(),
              Message.NETWORK_NOT_A_CLASS,
              model.name(),
              model.kind(),
              simpleName()));
      return new Report(findings, null);
    }
    Shape input = checkInput();
    Shape shape = input;
    int layers = 0;
    for (FieldModel field : model.fields()) {
      if (!isLayer(field)) {
        continue;
      }
      layers++;
      if (field.layer() == null) {
        // Two layer annotations: which shape follows is anyone's guess.
        shape = forget();
      } else {
        shape = checkLayer(field.layer(), shape, field.strideWarningsSuppressed());
      }
    }
    if (layers == 0) {
      findings.add(Finding.on(spec.element(), Message.NETWORK_WITHOUT_LAYERS, model.name()));
    }
    long parameters = 0;
    long multiplyAdds = 0;
    try {
      for (LayerPlan plan : plans) {
        parameters = Math.addExact(parameters, plan.parameters());
        multiplyAdds = Math.addExact(multiplyAdds, plan.multiplyAdds());
      }
    } catch (ArithmeticException e) {
      findings.add(
          Finding.on(
              spec.element(),
              Message.SIZE_OVERFLOW,
              model.name(),
              "the total parameter or multiply-add count",
              "it exceeds 9,223,372,036,854,775,807"));
    }
    Report report = new Report(findings, null);
    return report.hasErrors()
        ? report
        : new Report(findings, new NetworkPlan(model, input, plans, parameters, multiplyAdds));
  }

  private String simpleName() {
    return model.simpleNames().get(model.simpleNames().size() - 1);
  }

  /** The declared input shape, or null (unknown) when it is unreadable or invalid. */
  private Shape checkInput() {
    List<Integer> input = model.input();
    if (input == null) {
      return null;
    }
    Site spec = model.site();
    if (input.size() != 1 && input.size() != 3) {
      error(spec, "input", Message.NETWORK_INPUT_LENGTH, model.name(), list(input), input.size());
      return null;
    }
    String[] names = input.size() == 1 ? new String[] {"F"} : new String[] {"C", "H", "W"};
    boolean ok = true;
    for (int i = 0; i < input.size(); i++) {
      if (input.get(i) < 1) {
        error(
            spec,
            "input",
            Message.NETWORK_INPUT_NOT_POSITIVE,
            model.name(),
            list(input),
            names[i],
            input.get(i));
        ok = false;
      }
    }
    if (!ok) {
      return null;
    }
    Shape shape = new Shape(input);
    return fits(spec, model.name(), "the input " + shape, shape) ? shape : null;
  }

  /** Checks a field's form; true when it counts as a layer of the network. */
  private boolean isLayer(FieldModel field) {
    Site site = field.site();
    if (field.annotations().isEmpty()) {
      if (field.isLayerType() && !field.isStatic()) {
        error(site, null, Message.LAYER_WITHOUT_ANNOTATION, field.name());
      }
      return false;
    }
    if (field.isStatic()) {
      error(
          site,
          null,
          Message.LAYER_ON_STATIC_FIELD,
          field.name(),
          String.join(", @", field.annotations()));
      return false;
    }
    if (field.annotations().size() > 1) {
      error(
          site,
          null,
          Message.TWO_LAYER_ANNOTATIONS,
          field.name(),
          field.annotations().stream().map(a -> "@" + a).collect(Collectors.joining(" and ")));
    }
    if (field.type() != null && !field.isLayerType()) {
      error(
          site,
          null,
          Message.LAYER_FIELD_TYPE,
          field.name(),
          field.annotations().get(0),
          field.type(),
          field.name());
    }
    return true;
  }

  /** Checks one layer given its input (null = unknown) and returns its output (null = unknown). */
  private Shape checkLayer(LayerSpec layer, Shape in, boolean quiet) {
    Shape fromFlatten = flattenedFrom;
    flattenedFrom = null;
    // An if-chain, not a pattern switch: type patterns in switch are a preview feature in Java 17.
    Shape out;
    if (layer instanceof LayerSpec.Conv2d conv) {
      out = conv2d(conv, in, quiet);
    } else if (layer instanceof LayerSpec.Pooling pool) {
      out = pool(pool, in, quiet);
    } else if (layer instanceof LayerSpec.GlobalAvgPool pool) {
      out = globalAvgPool(pool, in);
    } else if (layer instanceof LayerSpec.BatchNorm bn) {
      out = batchNorm(bn, in);
    } else if (layer instanceof LayerSpec.Softmax softmax) {
      out = softmax(softmax, in);
    } else if (layer instanceof LayerSpec.Flatten flatten) {
      out = flatten(flatten, in);
    } else if (layer instanceof LayerSpec.Linear linear) {
      out = linear(linear, in, fromFlatten);
    } else if (layer instanceof LayerSpec.Dropout dropout) {
      out = dropout(dropout, in);
    } else if (layer instanceof LayerSpec.Unreadable unreadable) {
      out = unreadable.keepsShape() ? in : forget();
    } else {
      // ReLU, Sigmoid, Tanh: elementwise.
      out = keep(layer, in);
    }
    if (out != null && out.equals(in) && !(layer instanceof LayerSpec.Flatten)) {
      flattenedFrom = fromFlatten;
    }
    return out;
  }

  private Shape conv2d(LayerSpec.Conv2d conv, Shape in, boolean quiet) {
    Site site = conv.site();
    String name = conv.name();
    int[] kernel = sizes(conv, "kernelSize", conv.kernelSize(), "the kernel size", false);
    int[] stride = sizes(conv, "stride", conv.stride(), "the stride", false);
    int[] dilation = sizes(conv, "dilation", conv.dilation(), "the dilation", false);
    int[] padding = padding(conv, conv.padding());
    if (conv.same() && conv.padding().stream().anyMatch(p -> p != 0)) {
      error(site, "padding", Message.SAME_WITH_PADDING, name, list(conv.padding()));
    }
    boolean channelsOk = positive(conv, "outChannels", conv.outChannels(), "outChannels", "");
    boolean groupsOk = positive(conv, "groups", conv.groups(), "groups", "");
    if (conv.inChannels() < 0) {
      positive(conv, "inChannels", conv.inChannels(), "inChannels", " (or 0 to infer it)");
    }
    boolean outputsIndivisible = groupsOk && channelsOk && conv.outChannels() % conv.groups() != 0;
    if (outputsIndivisible && (in == null || in.isFlat())) {
      groups(conv, null, conv.outChannels());
    }
    if (in == null) {
      return null;
    }
    if (in.isFlat()) {
      error(site, null, Message.NEEDS_SPATIAL_INPUT, name, conv.annotation(), in);
      return null;
    }
    int channels = in.channels();
    if (conv.inChannels() > 0 && conv.inChannels() != channels) {
      error(
          site,
          "inChannels",
          Message.IN_CHANNELS_MISMATCH,
          name,
          conv.inChannels(),
          in,
          channels,
          channels);
    }
    boolean inputsIndivisible = groupsOk && channels % conv.groups() != 0;
    if (inputsIndivisible || outputsIndivisible) {
      // One message for both counts: they share the fix.
      groups(
          conv,
          inputsIndivisible ? channels : null,
          outputsIndivisible ? conv.outChannels() : null);
    }
    if (kernel == null || stride == null || dilation == null || padding == null) {
      return null;
    }
    if (conv.same()) {
      long[] h = ShapeArithmetic.samePadding(in.height(), kernel[0], stride[0], dilation[0]);
      long[] w = ShapeArithmetic.samePadding(in.width(), kernel[1], stride[1], dilation[1]);
      padding = new int[] {(int) h[0], (int) h[1], (int) w[0], (int) w[1]};
    }
    Window window =
        new Window(
            kernel[0],
            kernel[1],
            stride[0],
            stride[1],
            padding[0],
            padding[1],
            padding[2],
            padding[3],
            dilation[0],
            dilation[1]);
    int[] size = spatial(conv, in, window, false, quiet || conv.same());
    if (size == null || !channelsOk) {
      return null;
    }
    Shape out = Shape.of(conv.outChannels(), size[0], size[1]);
    if (!fits(site, name, "the output " + out, out)) {
      return null;
    }
    int groups = groupsOk ? conv.groups() : 1;
    try {
      long parameters =
          ShapeArithmetic.conv2dParameters(
              channels, conv.outChannels(), groups, kernel[0], kernel[1], conv.bias());
      long multiplyAdds =
          ShapeArithmetic.conv2dMultiplyAdds(
              channels, conv.outChannels(), groups, size[0], size[1], kernel[0], kernel[1]);
      plans.add(new LayerPlan(conv, in, out, window, channels, parameters, multiplyAdds));
    } catch (ArithmeticException e) {
      error(
          site,
          null,
          Message.SIZE_OVERFLOW,
          name,
          "the parameter or multiply-add count",
          "(in/groups) x out x kernel, or out x height x width x (in/groups) x kernel, exceeds"
              + " 9,223,372,036,854,775,807");
    }
    return out;
  }

  private Shape pool(LayerSpec.Pooling pool, Shape in, boolean quiet) {
    Site site = pool.site();
    String name = pool.name();
    int[] kernel = sizes(pool, "kernelSize", pool.kernelSize(), "the kernel size", false);
    int[] stride = sizes(pool, "stride", pool.stride(), "the stride", true);
    int[] padding = padding(pool, pool.padding());
    if (kernel != null && padding != null) {
      for (int side = 0; side < 4; side++) {
        int k = kernel[side / 2];
        if (padding[side] > k / 2) {
          error(
              site,
              "padding",
              Message.POOL_PADDING_OVER_HALF,
              name,
              pool.annotation(),
              list(pool.padding()),
              padding[side],
              k,
              k,
              k / 2,
              k / 2);
          break;
        }
      }
    }
    if (in == null) {
      return null;
    }
    if (in.isFlat()) {
      error(site, null, Message.NEEDS_SPATIAL_INPUT, name, pool.annotation(), in);
      return null;
    }
    if (kernel == null || stride == null || padding == null) {
      return null;
    }
    if (pool.stride().isEmpty()) {
      stride = kernel;
    }
    Window window =
        new Window(
            kernel[0],
            kernel[1],
            stride[0],
            stride[1],
            padding[0],
            padding[1],
            padding[2],
            padding[3],
            1,
            1);
    int[] size = spatial(pool, in, window, pool.ceilMode(), quiet || pool.ceilMode());
    if (size == null) {
      return null;
    }
    Shape out = Shape.of(in.channels(), size[0], size[1]);
    plans.add(new LayerPlan(pool, in, out, window, in.channels(), 0, 0));
    return out;
  }

  /**
   * The output height and width of a window layer, reporting a size below 1 (an error) and unused
   * input rows or columns (a warning unless {@code quiet}); null when the output is invalid.
   */
  private int[] spatial(LayerSpec layer, Shape in, Window w, boolean ceil, boolean quiet) {
    long[] n = {in.height(), in.width()};
    long[][] dims = {
      {w.kernelH(), w.strideH(), w.padTop(), w.padBottom(), w.dilationH()},
      {w.kernelW(), w.strideW(), w.padLeft(), w.padRight(), w.dilationW()}
    };
    String[] names = {"height", "width"};
    long[] out = new long[2];
    List<String> tooSmall = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      long k = dims[i][0];
      long s = dims[i][1];
      long before = dims[i][2];
      long after = dims[i][3];
      long d = dims[i][4];
      out[i] =
          layer instanceof LayerSpec.Conv2d
              ? ShapeArithmetic.convOutput(n[i], k, s, before, after, d)
              : ShapeArithmetic.poolOutput(n[i], k, s, before, after, ceil);
      if (out[i] < 1) {
        tooSmall.add(
            String.format(
                Locale.ROOT,
                "output %s would be %d: %s((%d + %d + %d - %d*(%d-1) - 1) / %d) + 1 = %d",
                names[i],
                out[i],
                ceil ? "ceil" : "floor",
                n[i],
                before,
                after,
                d,
                k,
                s,
                out[i]));
      }
    }
    if (!tooSmall.isEmpty()) {
      String window = w.kernelH() + "x" + w.kernelW();
      if (w.dilationH() > 1 || w.dilationW() > 1) {
        window +=
            " (spanning "
                + ShapeArithmetic.span(w.kernelH(), w.dilationH())
                + "x"
                + ShapeArithmetic.span(w.kernelW(), w.dilationW())
                + " with dilation)";
      }
      error(
          layer.site(),
          null,
          Message.OUTPUT_BELOW_ONE,
          layer.name(),
          String.join(", and ", tooSmall),
          in,
          window);
      return null;
    }
    if (out[0] > Integer.MAX_VALUE || out[1] > Integer.MAX_VALUE) {
      error(
          layer.site(),
          null,
          Message.SIZE_OVERFLOW,
          layer.name(),
          "the output",
          "height " + out[0] + " and width " + out[1]);
      return null;
    }
    if (!quiet) {
      unused(layer, n, dims);
    }
    return new int[] {(int) out[0], (int) out[1]};
  }

  /** Warns about input rows or columns that no window reaches. */
  private void unused(LayerSpec layer, long[] n, long[][] dims) {
    String[] what = {"row", "column"};
    List<String> counts = new ArrayList<>();
    List<String> formulas = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      long k = dims[i][0];
      long s = dims[i][1];
      long before = dims[i][2];
      long after = dims[i][3];
      long d = dims[i][4];
      long unused = ShapeArithmetic.unused(n[i], k, s, before, after, d);
      if (unused > 0) {
        counts.add(unused + " input " + what[i] + (unused == 1 ? "" : "s"));
        formulas.add(
            String.format(
                Locale.ROOT,
                "(%d + %d + %d - %d) %% %d = %d",
                n[i],
                before,
                after,
                ShapeArithmetic.span(k, d),
                s,
                unused));
      }
    }
    if (counts.isEmpty()) {
      return;
    }
    String formula =
        formulas.size() == 2 && !formulas.get(0).equals(formulas.get(1))
            ? "rows " + formulas.get(0) + ", columns " + formulas.get(1)
            : formulas.get(0);
    String stride =
        dims[0][1] == dims[1][1]
            ? "stride " + dims[0][1]
            : "stride {" + dims[0][1] + ", " + dims[1][1] + "}";
    Site site = layer.site();
    findings.add(
        Finding.at(
            site,
            site.value("stride") != null ? "stride" : "kernelSize",
            Message.UNUSED_INPUT,
            layer.name(),
            stride,
            String.join(" and ", counts),
            formula));
  }

  private Shape globalAvgPool(LayerSpec.GlobalAvgPool pool, Shape in) {
    if (in == null) {
      return null;
    }
    if (in.isFlat()) {
      error(pool.site(), null, Message.NEEDS_SPATIAL_INPUT, pool.name(), pool.annotation(), in);
      return null;
    }
    Shape out = Shape.of(in.channels(), 1, 1);
    plans.add(new LayerPlan(pool, in, out, null, in.channels(), 0, 0));
    return out;
  }

  private Shape batchNorm(LayerSpec.BatchNorm bn, Shape in) {
    if (!(bn.eps() > 0) || Double.isInfinite(bn.eps())) {
      error(bn.site(), "eps", Message.EPS_NOT_POSITIVE, bn.name(), bn.eps());
    }
    if (in != null) {
      plans.add(
          new LayerPlan(
              bn,
              in,
              in,
              null,
              in.channels(),
              ShapeArithmetic.batchNormParameters(in.channels()),
              0));
    }
    return in;
  }

  private Shape keep(LayerSpec layer, Shape in) {
    if (in != null) {
      plans.add(new LayerPlan(layer, in, in, null, in.channels(), 0, 0));
    }
    return in;
  }

  private Shape softmax(LayerSpec.Softmax softmax, Shape in) {
    if (in != null && !in.isFlat()) {
      needsFlat(softmax, in);
    }
    return keep(softmax, in);
  }

  private Shape flatten(LayerSpec.Flatten flatten, Shape in) {
    if (in == null) {
      return null;
    }
    // Flatten of a flat input is the identity, as in PyTorch.
    Shape out = Shape.flat((int) in.size());
    plans.add(new LayerPlan(flatten, in, out, null, in.channels(), 0, 0));
    flattenedFrom = in.isFlat() ? null : in;
    return out;
  }

  private Shape linear(LayerSpec.Linear linear, Shape in, Shape fromFlatten) {
    Site site = linear.site();
    String name = linear.name();
    boolean outOk = positive(linear, "outFeatures", linear.outFeatures(), "outFeatures", "");
    if (linear.inFeatures() < 0) {
      positive(linear, "inFeatures", linear.inFeatures(), "inFeatures", " (or 0 to infer it)");
    }
    Shape out = outOk ? Shape.flat(linear.outFeatures()) : null;
    if (in == null) {
      return out;
    }
    if (!in.isFlat()) {
      needsFlat(linear, in);
      return out;
    }
    int features = in.channels();
    if (linear.inFeatures() > 0 && linear.inFeatures() != features) {
      String input = fromFlatten == null ? in.toString() : product(fromFlatten);
      error(
          site,
          "inFeatures",
          Message.IN_FEATURES_MISMATCH,
          name,
          linear.inFeatures(),
          input,
          features);
    }
    if (out != null) {
      try {
        plans.add(
            new LayerPlan(
                linear,
                in,
                out,
                null,
                features,
                ShapeArithmetic.linearParameters(features, linear.outFeatures(), linear.bias()),
                ShapeArithmetic.linearMultiplyAdds(features, linear.outFeatures())));
      } catch (ArithmeticException e) {
        error(
            site,
            null,
            Message.SIZE_OVERFLOW,
            name,
            "the parameter count",
            features + " x " + linear.outFeatures() + " exceeds 9,223,372,036,854,775,807");
      }
    }
    return out;
  }

  private Shape dropout(LayerSpec.Dropout dropout, Shape in) {
    double p = dropout.p();
    if (!(p >= 0 && p < 1)) {
      error(dropout.site(), "value", Message.PROBABILITY_OUT_OF_RANGE, dropout.name(), p);
    }
    return keep(dropout, in);
  }

  private void needsFlat(LayerSpec layer, Shape in) {
    error(
        layer.site(),
        null,
        Message.NEEDS_FLAT_INPUT,
        layer.name(),
        layer.annotation(),
        product(in),
        layer.name(),
        in.size());
  }

  /**
   * A kernel size, stride or dilation as {@code {h, w}}, or null after reporting a wrong length or
   * a value below 1; an empty array is allowed only where it means "the kernel size".
   */
  private int[] sizes(
      LayerSpec layer, String attribute, List<Integer> values, String what, boolean emptyOk) {
    if (values.isEmpty() && emptyOk) {
      return new int[] {1, 1};
    }
    int[] pair = ShapeArithmetic.pair(values);
    if (pair == null) {
      error(
          layer.site(),
          attribute,
          Message.SIZE_ARRAY_LENGTH,
          layer.name(),
          layer.annotation(),
          attribute,
          list(values),
          values.size());
      return null;
    }
    for (int v : pair) {
      if (v < 1) {
        notPositive(layer, attribute, list(values), what, "", v);
        return null;
      }
    }
    return pair;
  }

  /** Padding per side, or null after reporting a wrong length or a negative value. */
  private int[] padding(LayerSpec layer, List<Integer> values) {
    int[] sides = ShapeArithmetic.sides(values);
    if (sides == null) {
      error(
          layer.site(),
          "padding",
          Message.PADDING_ARRAY_LENGTH,
          layer.name(),
          layer.annotation(),
          list(values),
          values.size());
      return null;
    }
    for (int v : sides) {
      if (v < 0) {
        error(
            layer.site(),
            "padding",
            Message.NEGATIVE_PADDING,
            layer.name(),
            layer.annotation(),
            list(values),
            v);
        return null;
      }
    }
    return sides;
  }

  /** Reports an int attribute below 1; true when the value is fine. */
  private boolean positive(LayerSpec layer, String attribute, int value, String what, String or) {
    if (value >= 1) {
      return true;
    }
    notPositive(layer, attribute, String.valueOf(value), what, or, value);
    return false;
  }

  private void notPositive(
      LayerSpec layer, String attribute, String written, String what, String or, int value) {
    error(
        layer.site(),
        attribute,
        Message.NOT_POSITIVE,
        layer.name(),
        layer.annotation(),
        attribute,
        written,
        what,
        or,
        value);
  }

  /**
   * Reports the channel counts (null: divisible or unknown) that {@code groups} fails to divide.
   */
  private void groups(LayerSpec.Conv2d conv, Integer inChannels, Integer outChannels) {
    int g = conv.groups();
    List<String> counts = new ArrayList<>();
    if (inChannels != null) {
      counts.add(
          String.format(
              Locale.ROOT,
              "the input channels are %d (%d %% %d = %d)",
              inChannels,
              inChannels,
              g,
              inChannels % g));
    }
    if (outChannels != null) {
      counts.add(
          String.format(
              Locale.ROOT,
              "the output channels are %d (%d %% %d = %d)",
              outChannels,
              outChannels,
              g,
              outChannels % g));
    }
    error(
        conv.site(),
        "groups",
        Message.GROUPS_DO_NOT_DIVIDE,
        conv.name(),
        g,
        String.join(" and ", counts));
  }

  /** Whether every size of {@code shape} fits the runtime's int; reports it if not. */
  private boolean fits(Site site, String name, String what, Shape shape) {
    BigInteger size = BigInteger.ONE;
    for (int d : shape.dims()) {
      size = size.multiply(BigInteger.valueOf(d));
    }
    if (size.bitLength() < 32) {
      return true;
    }
    error(
        site,
        null,
        Message.SIZE_OVERFLOW,
        name,
        what,
        shape.join(" x ") + " = " + String.format(Locale.ROOT, "%,d", size) + " floats per sample");
    return false;
  }

  private Shape forget() {
    return null;
  }

  private void error(Site site, String attribute, Message message, Object... args) {
    findings.add(Finding.at(site, attribute, message, args));
  }

  /** {@code [256, 5, 5] = 256 x 5 x 5 = 6400}. */
  private static String product(Shape shape) {
    return shape + " = " + shape.join(" x ") + " = " + shape.size();
  }

  /** An int array as written in Java: {@code 3} or {@code {3, 5}}. */
  private static String list(List<Integer> values) {
    return values.size() == 1
        ? String.valueOf(values.get(0))
        : values.stream().map(String::valueOf).collect(Collectors.joining(", ", "{", "}"));
  }
}
