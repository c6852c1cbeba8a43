package dev.stride.processor.check;

import java.util.Locale;
import javax.tools.Diagnostic.Kind;

/**
 * Every diagnostic the processor can report: its kind and its message template. Each message names
 * the field (or class), the rule, the numbers and the fix.
 */
public enum Message {
  /** {@code @Network} on an interface, enum, record or annotation type. */
  NETWORK_NOT_A_CLASS(
      Kind.ERROR,
      "%1$s: @Network goes on a class whose instance fields are the layers, but %1$s is %2$s;"
          + " declare it as `abstract class %3$s`."),
  /** A spec without a single layer field. */
  NETWORK_WITHOUT_LAYERS(
      Kind.ERROR,
      "%s: this @Network class has no layers; declare instance fields of type dev.stride.Layer,"
          + " each with one layer annotation, e.g. `@Linear(outFeatures = 10) Layer fc;`."),
  /** An input shape that is neither (C, H, W) nor (F). */
  NETWORK_INPUT_LENGTH(
      Kind.ERROR,
      "%s: @Network(input = %s) has %d values; write {C, H, W} for images or {F} for flat"
          + " features."),
  /** An input dimension below 1. */
  NETWORK_INPUT_NOT_POSITIVE(
      Kind.ERROR,
      "%s: @Network(input = %s): every input dimension must be at least 1, but %s is %d; write the"
          + " shape of one sample, e.g. {1, 28, 28}."),
  /** A layer annotation on a field of a class that is not a spec. */
  LAYER_OUTSIDE_NETWORK(
      Kind.ERROR,
      "%s: @%s on a field of %s, which is not annotated @Network, so it is no layer of any"
          + " network; annotate %s with @Network(input = {...}) or remove @%s."),
  /** A layer annotation on a static field. */
  LAYER_ON_STATIC_FIELD(
      Kind.ERROR,
      "%s: @%s on a static field; layers are the instance fields of the spec, so remove"
          + " `static`."),
  /** Two or more layer annotations on one field. */
  TWO_LAYER_ANNOTATIONS(
      Kind.ERROR,
      "%s: a field is one layer, but this one has %s; split it into one field per layer, in"
          + " forward order."),
  /** A Layer field that carries no layer annotation. */
  LAYER_WITHOUT_ANNOTATION(
      Kind.ERROR,
      "%s: a field of type Layer without a layer annotation is no layer; add one (e.g. @ReLU) or"
          + " change its type."),
  /** A layer annotation on a field whose type is not dev.stride.Layer. */
  LAYER_FIELD_TYPE(
      Kind.ERROR,
      "%s: @%s on a field of type %s; layer fields have type dev.stride.Layer, so write `Layer"
          + " %s;`."),
  /** A kernel size, stride or dilation with other than one or two values. */
  SIZE_ARRAY_LENGTH(
      Kind.ERROR, "%s: @%s(%s = %s) has %d values; write one value for both dimensions or {h, w}."),
  /** A padding with other than one, two or four values. */
  PADDING_ARRAY_LENGTH(
      Kind.ERROR,
      "%s: @%s(padding = %s) has %d values; write one value, {h, w} or {top, bottom, left,"
          + " right}."),
  /** A size, stride, dilation, channel count, feature count or group count below 1. */
  NOT_POSITIVE(
      Kind.ERROR, "%s: @%s(%s = %s): %s must be at least 1%s, but is %d; write a positive value."),
  /** A negative padding. */
  NEGATIVE_PADDING(
      Kind.ERROR,
      "%s: @%s(padding = %s): padding adds zeros on each side and cannot be negative (%d); write"
          + " 0 or more."),
  /** Pooling padding over half the kernel, which PyTorch rejects. */
  POOL_PADDING_OVER_HALF(
      Kind.ERROR,
      "%s: @%s(padding = %s) pads %d on a side of a %d-wide window, but pooling allows at most"
          + " half the kernel: %d / 2 = %d (as PyTorch); use padding <= %d or a larger kernel."),
  /** Groups that do not divide both channel counts. */
  GROUPS_DO_NOT_DIVIDE(
      Kind.ERROR,
      "%s: @Conv2d(groups = %d) must divide both channel counts, but %s; use groups = 1 or a"
          + " common divisor of the input and output channels."),
  /** A dropout probability outside [0, 1). */
  PROBABILITY_OUT_OF_RANGE(
      Kind.ERROR,
      "%s: @Dropout(%s): the drop probability must be in [0, 1); write e.g. @Dropout(0.5)."),
  /** A batch-norm eps that is not positive. */
  EPS_NOT_POSITIVE(
      Kind.ERROR,
      "%s: @BatchNorm(eps = %s): eps is added to the variance before the square root and must be"
          + " positive; write e.g. eps = 1e-5."),
  /** {@code same = true} together with an explicit padding. */
  SAME_WITH_PADDING(
      Kind.ERROR,
      "%s: @Conv2d(same = true, padding = %s): same computes its own padding; remove padding or"
          + " same."),
  /** An output height or width below 1. */
  OUTPUT_BELOW_ONE(
      Kind.ERROR,
      "%s: %s; the input %s is smaller than the %s window. Use a smaller kernel or more padding,"
          + " or remove a downsampling layer earlier."),
  /** An inFeatures that disagrees with the input. */
  IN_FEATURES_MISMATCH(
      Kind.ERROR,
      "%s: @Linear(inFeatures = %d) but its input is %s; write inFeatures = %d or omit it to infer"
          + " it."),
  /** An inChannels that disagrees with the input. */
  IN_CHANNELS_MISMATCH(
      Kind.ERROR,
      "%s: @Conv2d(inChannels = %d) but its input %s has %d channels; write inChannels = %d or"
          + " omit it to infer it."),
  /** {@code @Linear} or {@code @Softmax} on a (C, H, W) input. */
  NEEDS_FLAT_INPUT(
      Kind.ERROR,
      "%s: @%s needs a flat (F) input, but its input is (C, H, W) %s; add `@Flatten Layer"
          + " flatten;` before %s (its input becomes [%s])."),
  /** A convolution or pooling layer on a flat input. */
  NEEDS_SPATIAL_INPUT(
      Kind.ERROR,
      "%s: @%s needs a (C, H, W) input, but its input is the flat %s; move it before @Flatten"
          + " and @Linear, or give @Network(input = {C, H, W})."),
  /** A size or count that does not fit its type. */
  SIZE_OVERFLOW(
      Kind.ERROR,
      "%s: %s is too large: %s; sample sizes must fit in an int (2,147,483,647) and counts in a"
          + " long. Use smaller sizes."),
  /** A stride whose windows leave the last input rows or columns unused. */
  UNUSED_INPUT(
      Kind.WARNING,
      "%s: %s leaves %s unused: %s; the last window ends before them. To use them, add padding"
          + " at the bottom/right or change the kernel or stride; if this is intended, suppress"
          + " with @SuppressWarnings(\"stride\")."),
  /**
   * {@code @Add}, {@code @Concat} or {@code @Shortcut} on a field of a class without
   * {@code @Block}.
   */
  MERGE_OUTSIDE_BLOCK(
      Kind.ERROR,
      "%s: @%s belongs to a block's main chain and shortcut, but %s is not a @Block; move the"
          + " field into a class annotated @Block and use that class as a field type."),
  /** A second {@code @Shortcut} field in one block. */
  SECOND_SHORTCUT(
      Kind.ERROR,
      "%s: a block has at most one @Shortcut field, and %s already is one; make one sub-block of"
          + " both or remove one @Shortcut."),
  /** {@code @Shortcut}, {@code @Add} or {@code @Concat} in a {@code @Parallel} block. */
  MERGE_IN_PARALLEL(
      Kind.ERROR,
      "%s: @%s inside the @Parallel block %s, whose fields are all branches on the block input"
          + " joined by concatenation; put the merge in a @Block used as a branch, or remove"
          + " @Parallel."),
  /** An Arg constant in a {@code @Network}, which takes no parameters. */
  ARG_IN_NETWORK(
      Kind.ERROR,
      "%s: %s in the @Network %s, which has no parameters; write the value itself, or move the"
          + " layers into a @Block and give %s with @Args."),
  /** A block that contains itself. */
  BLOCK_RECURSION(
      Kind.ERROR,
      "%s: the block %s contains itself (%s), so the network would never end; break the cycle."),
  /** {@code @Repeat} or {@code @Args} on a field whose type is not a {@code @Block} class. */
  NOT_A_BLOCK(
      Kind.ERROR,
      "%s: @%s goes on a sub-block field, whose type is a @Block class, but this field's type is"
          + " %s; annotate %s with @Block or remove @%s."),
  /** {@code @Repeat(first = X.class)} where X is not a {@code @Block} class. */
  FIRST_NOT_A_BLOCK(
      Kind.ERROR,
      "%s: @Repeat(first = %s.class), but %s is not a @Block class; annotate it with @Block or"
          + " name a block."),
  /** A repeat count below 1. */
  REPEAT_BELOW_ONE(
      Kind.ERROR,
      "%s: @Repeat(%s) repeats the block %d times; write 1 or more, or remove the field."),
  /** Fewer or more {@code @Args} values than the block's parameters. */
  ARGS_COUNT(
      Kind.ERROR,
      "%s: %s takes %d value%s (%s), but %s; write @Args with exactly %d value%s, in letter"
          + " order."),
  /** A class that is both {@code @Block} and {@code @Network}. */
  BLOCK_AND_NETWORK(
      Kind.ERROR,
      "%s: a class is either a @Network (a whole network, with a generated model) or a @Block (a"
          + " part used as a field type), not both; remove one of the two."),
  /** {@code @Add} operands of different shapes. */
  ADD_SHAPE_MISMATCH(
      Kind.ERROR,
      "%s: @Add needs equal shapes, but the main chain gives %s (from %s) and the shortcut gives"
          + " %s (from %s); %s"),
  /** {@code @Concat} operands whose H x W (or rank) differ. */
  CONCAT_SIZE_MISMATCH(
      Kind.ERROR,
      "%s: @Concat joins along channels, so H x W must be equal, but the shortcut gives %s (from"
          + " %s) and the main chain gives %s (from %s); give both paths the same stride and"
          + " padding."),
  /** {@code @Parallel} branches whose H x W (or rank) differ. */
  PARALLEL_SIZE_MISMATCH(
      Kind.ERROR,
      "%s: the @Parallel branches are concatenated along channels, so H x W must be equal, but"
          + " %s; give every branch the same stride and padding."),
  /** The generated file could not be written. */
  CANNOT_WRITE(
      Kind.ERROR,
      "%s: could not write the generated %s: %s; rename the spec if another class has that"
          + " name."),
  /** A bug in the processor, reported with its stack trace instead of crashing javac. */
  INTERNAL_ERROR(
      Kind.ERROR,
      "%s: the Stride processor failed unexpectedly; please report this with the spec.\n%s");

  private final Kind kind;
  private final String template;

  Message(Kind kind, String template) {
    this.kind = kind;
    this.template = template;
  }

  /** Error or warning. */
  public Kind kind() {
    return kind;
  }

  /** The message for these arguments. */
  public String format(Object... args) {
    return String.format(Locale.ROOT, template, args);
  }
}
