package dev.stride.processor.check;

import dev.stride.graph.ShapeArithmetic;
import dev.stride.processor.model.BlockModel;
import dev.stride.processor.model.BlockUse;
import dev.stride.processor.model.FieldModel;
import dev.stride.processor.model.LayerPlan;
import dev.stride.processor.model.LayerSpec;
import dev.stride.processor.model.NetworkModel;
import dev.stride.processor.model.NetworkPlan;
import dev.stride.processor.model.Shape;
import dev.stride.processor.model.Site;
import dev.stride.processor.model.Window;
import dev.stride.processor.parse.NetworkParser;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.lang.model.element.Element;

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

  /** The network field through which the layers now checked are reached; null at top level. */
  private Route route;

  /** Whether the layer now checked took an Arg value, so its attribute mistakes are the use's. */
  private boolean argLayer;

  /** The path and field name of the layer now checked, or null. */
  private String path;

  private String fieldName;

  /** The inputs of the node the current layer adds. */
  private List<Integer> inputs = List.of(-1);

  /** The blocks being expanded, to stop at one that contains itself. */
  private final Set<Element> expanding = new HashSet<>();

  /** A shape was lost to a mistake reported elsewhere (on a block class): no plan. */
  private boolean incomplete;

  /**
   * A value flowing through the network: its shape (null = unknown), the plan that made it (-1: the
   * network input) and that plan's path, for messages.
   */
  private record Value(Shape shape, int node, String from, Shape partial) {
    Value(Shape shape, int node, String from) {
      this(shape, node, from, null);
    }

    /** The shape, or what is known of it (0 for an unknown size), or null when nothing is. */
    Shape known() {
      return shape != null ? shape : partial;
    }
  }

  /** A network field that leads into blocks, where their input-dependent mistakes are reported. */
  private record Route(String name, Site site, Shape input, boolean suppressed) {
    Finding wrap(Finding f) {
      return new Finding(
          f.message(),
          name + " (input " + (input == null ? "unknown" : partialText(input)) + "): " + f.text(),
          site.element(),
          null,
          null);
    }
  }

  /** Mistakes that depend on a block's input, reported on the network field that uses it. */
  private static final Set<Message> INPUT_DEPENDENT =
      EnumSet.of(
          Message.OUTPUT_BELOW_ONE,
          Message.IN_FEATURES_MISMATCH,
          Message.IN_CHANNELS_MISMATCH,
          Message.NEEDS_FLAT_INPUT,
          Message.NEEDS_SPATIAL_INPUT,
          Message.SIZE_OVERFLOW,
          Message.GROUPS_DO_NOT_DIVIDE,
          Message.UNUSED_INPUT,
          Message.ADD_SHAPE_MISMATCH,
          Message.CONCAT_SIZE_MISMATCH,
          Message.PARALLEL_SIZE_MISMATCH);

  private static Value unknownValue() {
    return new Value(null, -1, "an unknown shape");
  }

  private Value unknown() {
    return unknownValue();
  }

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
    Value value = new Value(input, -1, "the network input");
    int layers = 0;
    for (FieldModel field : model.fields()) {
      if (field.use() != null && !field.isStatic()) {
        layers++;
        value = subBlock(field, value, new Substitution(null), "");
        continue;
      }
      if (!isLayer(field, true)) {
        continue;
      }
      layers++;
      if (merges(field)) {
        error(
            field.site(),
            null,
            Message.MERGE_OUTSIDE_BLOCK,
            field.name(),
            field.layer().annotation(),
            model.name());
        value = unknown();
        continue;
      }
      if (field.args() > 0) {
        error(
            field.site(),
            null,
            Message.ARG_IN_NETWORK,
            field.name(),
            NetworkParser.argName(field.args()),
            model.name(),
            "its values");
        value = unknown();
        continue;
      }
      value = layer(field, value, new Substitution(null), "");
    }
    if (layers == 0) {
      findings.add(Finding.on(spec.element(), Message.NETWORK_WITHOUT_LAYERS, model.name()));
    }
    Report report = new Report(findings, null);
    if (report.hasErrors() || incomplete) {
      return report;
    }
    NetworkPlan plan =
        new NetworkPlan(model, input, plans, GraphWriter.graph(model.name(), input, plans));
    try {
      plan.parameters();
      plan.multiplyAdds();
    } catch (ArithmeticException e) {
      findings.add(
          Finding.on(
              spec.element(),
              Message.SIZE_OVERFLOW,
              model.name(),
              "the total parameter or multiply-add count",
              "it exceeds 9,223,372,036,854,775,807"));
      return new Report(findings, null);
    }
    return new Report(findings, plan);
  }

  /** A layer field in context: substituted, named by its path, checked, added as a node. */
  private Value layer(FieldModel field, Value in, Substitution args, String prefix) {
    if (field.layer() == null) {
      // Two layer annotations (reported on the field): which shape follows is anyone's guess.
      incomplete = true;
      return unknown();
    }
    LayerSpec spec = args.apply(field.layer(), prefix + field.name());
    boolean outer = argLayer;
    argLayer = field.args() > 0 && route != null;
    path = spec.name();
    fieldName = field.name();
    inputs = List.of(in.node());
    int before = plans.size();
    boolean quiet = field.strideWarningsSuppressed() || (route != null && route.suppressed());
    Shape out = checkLayer(spec, in.shape(), quiet);
    Shape partial = null;
    if (in.shape() == null && in.partial() != null) {
      partialChecks(spec, in.partial());
    }
    if (out == null) {
      partial = partialOutput(spec, in.known());
      if (partial != null && !partial.dims().contains(0)) {
        // Known again (a global pool of known channels): check on in full.
        out = partial;
      }
    }
    argLayer = outer;
    path = null;
    return new Value(
        out, plans.size() > before ? plans.size() - 1 : in.node(), spec.name(), partial);
  }

  /**
   * A sub-block field (or one with {@code @Repeat} or {@code @Args}): every copy expanded in place,
   * each inferring its own input.
   */
  private Value subBlock(FieldModel field, Value in, Substitution args, String prefix) {
    boolean top = route == null;
    if (top) {
      route = new Route(field.name(), field.site(), in.known(), field.strideWarningsSuppressed());
    }
    try {
      BlockUse use = field.use();
      if (!checkUse(field, blocks())) {
        return unknown();
      }
      int[] values = new int[use.args().size()];
      for (int i = 0; i < values.length; i++) {
        int raw = use.args().get(i);
        if (NetworkParser.argIndex(raw) > 0 && top) {
          argInNetwork(field, use.argsSite(), raw);
          return unknown();
        }
        values[i] = args.value(raw);
      }
      int copies = use.copies();
      if (NetworkParser.argIndex(copies) > 0) {
        if (top) {
          argInNetwork(field, use.repeat(), copies);
          return unknown();
        }
        copies = args.value(copies);
        if (copies < 1) {
          boolean outer = argLayer;
          argLayer = true;
          error(
              use.repeat(),
              "value",
              Message.REPEAT_BELOW_ONE,
              prefix + field.name(),
              String.valueOf(copies),
              copies);
          argLayer = outer;
          return unknown();
        }
      }
      Value value = in;
      for (int copy = 0; copy < copies; copy++) {
        Element type = copy == 0 && use.first() != null ? use.first() : use.block();
        BlockModel block = model.blocks().get(type);
        String path = prefix + field.name() + (use.repeat() != null ? "." + copy : "");
        value = block(type, block, path, value, Arrays.copyOf(values, block.args()), field);
      }
      return value;
    } finally {
      if (top) {
        route = null;
      }
    }
  }

  /**
   * The rank and channel checks that still apply when only part of the input shape is known (0 for
   * an unknown size), so that a mistake after an earlier one is still reported, and nothing that
   * the earlier one caused.
   */
  private void partialChecks(LayerSpec layer, Shape in) {
    String text = partialText(in);
    if (layer.input() == LayerSpec.Input.SPATIAL && in.isFlat()) {
      error(
          layer.site(), null, Message.NEEDS_SPATIAL_INPUT, layer.name(), layer.annotation(), text);
    } else if (layer instanceof LayerSpec.Conv2d conv
        && !in.isFlat()
        && in.channels() > 0
        && conv.inChannels() > 0
        && conv.inChannels() != in.channels()) {
      error(
          conv.site(),
          "inChannels",
          Message.IN_CHANNELS_MISMATCH,
          conv.name(),
          conv.inChannels(),
          text,
          in.channels(),
          in.channels());
    } else if (layer.input() == LayerSpec.Input.FLAT && !in.isFlat()) {
      error(
          layer.site(),
          null,
          Message.NEEDS_FLAT_INPUT,
          layer.name(),
          layer.annotation(),
          text,
          layer.name(),
          "?");
    }
  }

  /** Whether {@code field} is a block's {@code @Add} or {@code @Concat} (false for no layer). */
  private static boolean merges(FieldModel field) {
    return field.layer() != null && field.layer().merges();
  }

  /** What is known of a layer's output when its full shape is not: null when nothing is. */
  private static Shape partialOutput(LayerSpec layer, Shape in) {
    return layer.accept(
        new LayerSpec.Visitor<Shape>() {
          @Override
          public Shape conv2d(LayerSpec.Conv2d spec) {
            return Shape.of(Math.max(spec.outChannels(), 0), 0, 0);
          }

          @Override
          public Shape pooling(LayerSpec.Pooling spec) {
            return in == null || in.isFlat() ? null : Shape.of(in.channels(), 0, 0);
          }

          @Override
          public Shape globalAvgPool(LayerSpec.GlobalAvgPool spec) {
            return in == null || in.isFlat() ? null : Shape.of(in.channels(), 1, 1);
          }

          @Override
          public Shape batchNorm(LayerSpec.BatchNorm spec) {
            return in;
          }

          @Override
          public Shape elementwise(LayerSpec spec) {
            return in;
          }

          @Override
          public Shape add(LayerSpec.Add spec) {
            return in;
          }

          @Override
          public Shape concat(LayerSpec.Concat spec) {
            return in;
          }

          @Override
          public Shape softmax(LayerSpec.Softmax spec) {
            return in;
          }

          @Override
          public Shape flatten(LayerSpec.Flatten spec) {
            return Shape.flat(0);
          }

          @Override
          public Shape linear(LayerSpec.Linear spec) {
            return Shape.flat(0);
          }

          @Override
          public Shape dropout(LayerSpec.Dropout spec) {
            return in;
          }

          @Override
          public Shape unreadable(LayerSpec.Unreadable spec) {
            return spec.keepsShape() ? in : null;
          }
        });
  }

  /** {@code [64, ?, ?]}: a shape with its unknown sizes as {@code ?}. */
  private static String partialText(Shape shape) {
    List<String> dims = new ArrayList<>();
    for (int d : shape.dims()) {
      dims.add(d == 0 ? "?" : String.valueOf(d));
    }
    return "[" + String.join(", ", dims) + "]";
  }

  private void argInNetwork(FieldModel field, Site site, int value) {
    error(
        site,
        "value",
        Message.ARG_IN_NETWORK,
        field.name(),
        NetworkParser.argName(NetworkParser.argIndex(value)),
        model.name(),
        "its values");
  }

  /** One block in place at {@code path}. */
  private Value block(
      Element type, BlockModel block, String path, Value in, int[] values, FieldModel via) {
    if (expanding.contains(type)) {
      // Reported on the block's own field by checkBlock; stop here rather than loop forever.
      incomplete = true;
      return unknown();
    }
    if (block.alsoNetwork()) {
      incomplete = true;
      return unknown();
    }
    expanding.add(type);
    try {
      Substitution args = new Substitution(values);
      String prefix = path + ".";
      if (block.parallel()) {
        return parallel(block, path, in, args, via);
      }
      FieldModel shortcut = null;
      for (FieldModel f : block.fields()) {
        if (f.shortcut() != null) {
          if (shortcut != null) {
            incomplete = true;
          }
          shortcut = f;
        }
      }
      Value main = in;
      Value side = null;
      for (FieldModel f : block.fields()) {
        if (f == shortcut) {
          continue;
        }
        if (f.use() != null && !f.isStatic()) {
          main = subBlock(f, main, args, prefix);
        } else if (!isLayer(f, false)) {
          continue;
        } else if (merges(f)) {
          if (side == null) {
            side = step(shortcut, in, args, prefix);
          }
          main = merge(f, args.apply(f.layer(), prefix + f.name()), main, side);
        } else {
          main = layer(f, main, args, prefix);
        }
      }
      if (side == null && shortcut != null) {
        // Never merged: still computed, so that its weights belong to the network.
        step(shortcut, in, args, prefix);
      }
      return main;
    } finally {
      expanding.remove(type);
    }
  }

  /** A field applied to {@code in}: a layer or a sub-block; null field: {@code in} itself. */
  private Value step(FieldModel f, Value in, Substitution args, String prefix) {
    if (f == null) {
      return in;
    }
    if (f.use() != null) {
      return subBlock(f, in, args, prefix);
    }
    if (!isLayer(f, false)) {
      incomplete = true;
      return unknown();
    }
    return layer(f, in, args, prefix);
  }

  /** A {@code @Parallel} block: each field a branch on the input, joined along channels. */
  private Value parallel(
      BlockModel block, String path, Value in, Substitution args, FieldModel via) {
    List<Value> branches = new ArrayList<>();
    for (FieldModel f : block.fields()) {
      if (f.use() == null && (f.annotations().isEmpty() || f.isStatic())) {
        isLayer(f, false);
        continue;
      }
      if (f.shortcut() != null || merges(f)) {
        incomplete = true;
        continue;
      }
      branches.add(step(f, in, args, path + "."));
    }
    List<String> described = new ArrayList<>();
    boolean known = true;
    for (Value b : branches) {
      known &= b.shape() != null;
      described.add(b.from() + " gives " + b.shape());
    }
    if (branches.isEmpty()) {
      incomplete = true;
      return unknown();
    }
    if (branches.size() == 1) {
      // One branch concatenated with nothing is that branch, as torch.cat of a single tensor.
      return branches.get(0);
    }
    if (!known) {
      long sum = 0;
      for (Value b : branches) {
        sum += b.known() == null ? 0 : b.known().channels();
      }
      return lost(branches, sum);
    }
    Shape first = branches.get(0).shape();
    long channels = 0;
    boolean fits = true;
    for (Value b : branches) {
      fits &= sameSize(first, b.shape());
      channels += b.shape().channels();
    }
    LayerSpec.Concat concat = new LayerSpec.Concat(path, via.site());
    if (!fits) {
      error(via.site(), null, Message.PARALLEL_SIZE_MISMATCH, path, String.join(", ", described));
      return lost(branches, channels);
    }
    return join(concat, branches, first, channels);
  }

  /**
   * What is known after joining {@code operands} failed or met an unknown one: their common rank,
   * and the channels when every operand's are known ({@code channels} > 0).
   */
  private static Value lost(List<Value> operands, long channels) {
    boolean flat = true;
    boolean spatial = true;
    for (Value v : operands) {
      Shape k = v.known();
      if (k == null) {
        return unknownValue();
      }
      flat &= k.isFlat();
      spatial &= !k.isFlat();
      if (k.channels() == 0) {
        channels = 0;
      }
    }
    int c = channels > 0 && channels <= Integer.MAX_VALUE ? (int) channels : 0;
    Shape partial = flat ? Shape.flat(0) : spatial ? Shape.of(c, 0, 0) : null;
    return new Value(null, -1, "an unknown shape", partial);
  }

  /** Whether two shapes can be joined along channels: both flat, or equal H and W. */
  private static boolean sameSize(Shape a, Shape b) {
    return a.isFlat()
        ? b.isFlat()
        : !b.isFlat() && a.height() == b.height() && a.width() == b.width();
  }

  private Value join(LayerSpec.Concat concat, List<Value> operands, Shape first, long channels) {
    Shape out =
        first.isFlat()
            ? Shape.flat((int) Math.min(channels, Integer.MAX_VALUE))
            : Shape.of((int) Math.min(channels, Integer.MAX_VALUE), first.height(), first.width());
    if (!fits(concat.site(), concat.name(), "the output " + out, out)) {
      return unknown();
    }
    List<Integer> ids = new ArrayList<>();
    for (Value v : operands) {
      ids.add(v.node());
    }
    plans.add(new LayerPlan(concat, operands.get(0).shape(), out, null, first.channels(), ids));
    return new Value(out, plans.size() - 1, concat.name());
  }

  /** {@code @Add} (main + shortcut) or {@code @Concat} (shortcut, main). */
  private Value merge(FieldModel field, LayerSpec spec, Value main, Value side) {
    if (main.shape() == null || side.shape() == null) {
      // An Add keeps the main chain's shape; a Concat keeps only what both agree on.
      return spec instanceof LayerSpec.Add ? main : lost(List.of(side, main), 0);
    }
    if (spec instanceof LayerSpec.Concat concat) {
      if (!sameSize(side.shape(), main.shape())) {
        error(
            field.site(),
            null,
            Message.CONCAT_SIZE_MISMATCH,
            spec.name(),
            side.shape(),
            side.from(),
            main.shape(),
            main.from());
        return lost(List.of(side, main), (long) side.shape().channels() + main.shape().channels());
      }
      return join(
          concat,
          List.of(side, main),
          side.shape(),
          (long) side.shape().channels() + main.shape().channels());
    }
    if (!main.shape().equals(side.shape())) {
      error(
          field.site(),
          null,
          Message.ADD_SHAPE_MISMATCH,
          spec.name(),
          main.shape(),
          main.from(),
          side.shape(),
          side.from(),
          projection(side.shape(), main.shape()));
      // The sum's shape is ambiguous; its rank is not.
      return new Value(
          null, -1, spec.name(), main.shape().isFlat() ? Shape.flat(0) : Shape.of(0, 0, 0));
    }
    plans.add(
        new LayerPlan(
            spec,
            main.shape(),
            main.shape(),
            null,
            main.shape().channels(),
            List.of(main.node(), side.node())));
    return new Value(main.shape(), plans.size() - 1, spec.name());
  }

  /** The fix for an {@code @Add} mismatch: a 1x1 convolution shortcut from {@code from}. */
  private static String projection(Shape from, Shape to) {
    if (from.isFlat() || to.isFlat()) {
      return "make both paths end in the same shape.";
    }
    int sh = oneByOneStride(from.height(), to.height());
    int sw = oneByOneStride(from.width(), to.width());
    if (sh < 1 || sw < 1) {
      return "no 1x1 convolution turns "
          + from
          + " into "
          + to
          + "; change the main chain's stride or padding.";
    }
    String stride = sh == sw ? String.valueOf(sh) : "{" + sh + ", " + sw + "}";
    return "add a @Shortcut 1x1 convolution to "
        + to
        + ", e.g. `@Shortcut @Conv2d(outChannels = "
        + to.channels()
        + ", kernelSize = 1"
        + (sh == 1 && sw == 1 ? "" : ", stride = " + stride)
        + ", bias = false) Layer downsample;` (or a @Shortcut sub-block with it and a"
        + " @BatchNorm).";
  }

  /** The stride a 1x1 convolution needs to take {@code n} to {@code out}, or 0 if none does. */
  private static int oneByOneStride(int n, int out) {
    for (int s = 1; s <= n; s++) {
      if ((n - 1) / s + 1 == out) {
        return s;
      }
    }
    return 0;
  }

  /**
   * Reports what is wrong with a block use regardless of its input; true when it can be expanded.
   */
  private boolean checkUse(FieldModel field, Function<Element, BlockModel> blocks) {
    BlockUse use = field.use();
    boolean ok = true;
    if (use.block() == null) {
      Site site = use.repeat() != null ? use.repeat() : use.argsSite();
      String annotation = use.repeat() != null ? "Repeat" : "Args";
      String type = field.type() == null ? "unknown" : field.type();
      error(site, null, Message.NOT_A_BLOCK, field.name(), annotation, type, type, annotation);
      return false;
    }
    if (use.first() != null && !use.firstIsBlock()) {
      error(
          use.repeat(),
          "first",
          Message.FIRST_NOT_A_BLOCK,
          field.name(),
          use.firstName(),
          use.firstName());
      ok = false;
    }
    if (NetworkParser.argIndex(use.copies()) == 0 && use.copies() < 1) {
      error(
          use.repeat(),
          "value",
          Message.REPEAT_BELOW_ONE,
          field.name(),
          String.valueOf(use.copies()),
          use.copies());
      ok = false;
    }
    if (!ok) {
      return false;
    }
    BlockModel main = blocks.apply(use.block());
    BlockModel first = use.first() == null ? main : blocks.apply(use.first());
    int needs = Math.max(main.args(), first.args());
    int given = use.args().size();
    if (given != needs) {
      String names =
          needs == 0 ? "none" : needs == 1 ? "Arg.A" : "Arg.A to " + NetworkParser.argName(needs);
      String takes =
          first == main ? main.name() : main.name() + " (with first = " + first.name() + ")";
      error(
          use.argsSite() != null ? use.argsSite() : field.site(),
          null,
          Message.ARGS_COUNT,
          field.name(),
          takes,
          needs,
          needs == 1 ? "" : "s",
          names,
          use.argsSite() == null
              ? "the field has no @Args"
              : "@Args gives " + given + " (" + list(use.args()) + ")",
          needs,
          needs == 1 ? "" : "s");
      return false;
    }
    return true;
  }

  private Function<Element, BlockModel> blocks() {
    return type -> model.blocks().get(type);
  }

  /**
   * The mistakes of a {@code @Block} class that do not depend on its uses: field forms, shortcuts,
   * merges in a {@code @Parallel} block, block uses, and a block that contains itself.
   */
  public static Report checkBlock(BlockModel block, Function<Element, BlockModel> blocks) {
    NetworkChecker checker = new NetworkChecker(null);
    List<Finding> findings = checker.findings;
    if (block.alsoNetwork()) {
      findings.add(Finding.on(block.site().element(), Message.BLOCK_AND_NETWORK, block.name()));
    }
    FieldModel shortcut = null;
    for (FieldModel f : block.fields()) {
      if (f.shortcut() != null) {
        if (block.parallel()) {
          checker.error(
              f.shortcut(), null, Message.MERGE_IN_PARALLEL, f.name(), "Shortcut", block.name());
        } else if (shortcut != null) {
          checker.error(f.shortcut(), null, Message.SECOND_SHORTCUT, f.name(), shortcut.name());
        } else {
          shortcut = f;
        }
      }
      if (f.use() != null && !f.isStatic()) {
        if (checker.checkUse(f, blocks) && f.isBlock()) {
          for (Element type :
              List.of(
                  f.use().block(), f.use().first() == null ? f.use().block() : f.use().first())) {
            List<String> cycle = cycle(type, block.site().element(), blocks, new HashSet<>());
            if (cycle != null) {
              checker.error(
                  f.site(),
                  null,
                  Message.BLOCK_RECURSION,
                  f.name(),
                  block.name(),
                  block.name() + "." + f.name() + " -> " + String.join(" -> ", cycle));
              break;
            }
          }
        }
        continue;
      }
      if (checker.isLayer(f, true) && merges(f) && block.parallel()) {
        checker.error(
            f.site(),
            null,
            Message.MERGE_IN_PARALLEL,
            f.name(),
            f.layer().annotation(),
            block.name());
      }
    }
    return new Report(findings, null);
  }

  /**
   * The path of block names by which {@code from} reaches {@code target} (ending in it), or null
   * when it does not.
   */
  private static List<String> cycle(
      Element from, Element target, Function<Element, BlockModel> blocks, Set<Element> seen) {
    BlockModel block = blocks.apply(from);
    if (block == null || !seen.add(from)) {
      return null;
    }
    if (from.equals(target)) {
      return List.of(block.name());
    }
    for (FieldModel f : block.fields()) {
      if (f.use() == null || f.use().block() == null) {
        continue;
      }
      for (Element next : new Element[] {f.use().block(), f.use().first()}) {
        if (next != null) {
          List<String> rest = cycle(next, target, blocks, seen);
          if (rest != null) {
            List<String> path = new ArrayList<>();
            path.add(block.name());
            path.addAll(rest);
            return path;
          }
        }
      }
    }
    return null;
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
  private boolean isLayer(FieldModel field, boolean report) {
    if (!report) {
      NetworkChecker quiet = new NetworkChecker(null);
      return quiet.isLayer(field, true);
    }
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
    Shape out =
        layer.accept(
            new LayerSpec.Visitor<Shape>() {
              @Override
              public Shape conv2d(LayerSpec.Conv2d spec) {
                return NetworkChecker.this.conv2d(spec, in, quiet);
              }

              @Override
              public Shape pooling(LayerSpec.Pooling spec) {
                return pool(spec, in, quiet);
              }

              @Override
              public Shape globalAvgPool(LayerSpec.GlobalAvgPool spec) {
                return NetworkChecker.this.globalAvgPool(spec, in);
              }

              @Override
              public Shape batchNorm(LayerSpec.BatchNorm spec) {
                return NetworkChecker.this.batchNorm(spec, in);
              }

              @Override
              public Shape elementwise(LayerSpec spec) {
                return keep(spec, in);
              }

              @Override
              public Shape add(LayerSpec.Add spec) {
                return keep(spec, in); // its two inputs are checked where the block merges
              }

              @Override
              public Shape concat(LayerSpec.Concat spec) {
                return keep(spec, in); // as add
              }

              @Override
              public Shape softmax(LayerSpec.Softmax spec) {
                return NetworkChecker.this.softmax(spec, in);
              }

              @Override
              public Shape flatten(LayerSpec.Flatten spec) {
                return NetworkChecker.this.flatten(spec, in);
              }

              @Override
              public Shape linear(LayerSpec.Linear spec) {
                return NetworkChecker.this.linear(spec, in, fromFlatten);
              }

              @Override
              public Shape dropout(LayerSpec.Dropout spec) {
                return NetworkChecker.this.dropout(spec, in);
              }

              @Override
              public Shape unreadable(LayerSpec.Unreadable spec) {
                return spec.keepsShape() ? in : forget();
              }
            });
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
      // Counted here only to report an overflow on this field; the summary and the totals take
      // their counts from the graph's layer kinds.
      ShapeArithmetic.conv2dParameters(
          channels, conv.outChannels(), groups, kernel[0], kernel[1], conv.bias());
      ShapeArithmetic.conv2dMultiplyAdds(
          channels, conv.outChannels(), groups, size[0], size[1], kernel[0], kernel[1]);
      add(new LayerPlan(conv, in, out, window, channels));
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
    add(new LayerPlan(pool, in, out, window, in.channels()));
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
    add(
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
    add(new LayerPlan(pool, in, out, null, in.channels()));
    return out;
  }

  private Shape batchNorm(LayerSpec.BatchNorm bn, Shape in) {
    if (!(bn.eps() > 0) || Double.isInfinite(bn.eps())) {
      error(bn.site(), "eps", Message.EPS_NOT_POSITIVE, bn.name(), bn.eps());
    }
    if (in != null) {
      add(new LayerPlan(bn, in, in, null, in.channels()));
    }
    return in;
  }

  private Shape keep(LayerSpec layer, Shape in) {
    if (in != null) {
      add(new LayerPlan(layer, in, in, null, in.channels()));
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
    add(new LayerPlan(flatten, in, out, null, in.channels()));
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
        // Counted only to report an overflow on this field, as for a convolution.
        ShapeArithmetic.linearParameters(features, linear.outFeatures(), linear.bias());
        ShapeArithmetic.linearMultiplyAdds(features, linear.outFeatures());
        add(new LayerPlan(linear, in, out, null, features));
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

  /** Adds the current layer's plan, reading {@link #inputs}. */
  private void add(LayerPlan plan) {
    plans.add(plan.withInputs(inputs));
  }

  private Shape forget() {
    return null;
  }

  private void error(Site site, String attribute, Message message, Object... args) {
    add(Finding.at(site, attribute, message, args));
  }

  /** Inside a block, a mistake that depends on the use goes to the network field of that use. */
  private void add(Finding f) {
    if (route == null) {
      findings.add(f);
    } else if (argLayer || INPUT_DEPENDENT.contains(f.message())) {
      findings.add(route.wrap(f));
    } else if (path != null && f.text().startsWith(path + ":")) {
      // The same for every use, so named as the block's field, not by one use's path.
      findings.add(
          new Finding(
              f.message(),
              fieldName + f.text().substring(path.length()),
              f.element(),
              f.annotation(),
              f.value()));
    } else {
      findings.add(f);
    }
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
