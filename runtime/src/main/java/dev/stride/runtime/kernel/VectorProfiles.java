package dev.stride.runtime.kernel;

import static jdk.incubator.vector.VectorOperators.ABS;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.AND;
import static jdk.incubator.vector.VectorOperators.DIV;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LE;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.MIN;
import static jdk.incubator.vector.VectorOperators.MUL;
import static jdk.incubator.vector.VectorOperators.NEG;
import static jdk.incubator.vector.VectorOperators.OR;
import static jdk.incubator.vector.VectorOperators.SQRT;
import static jdk.incubator.vector.VectorOperators.SUB;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Runs the Vector API's shared methods with several operators of each kind before any kernel is
 * hot, so that the type profiles C2 reads in them are polymorphic from the start.
 *
 * <p>Why: until a kernel is compiled by C2, its vector operations are calls into the Vector API's
 * Java fallbacks ({@code Float512Vector.lanewise(Binary, Vector)}, {@code VectorOperators.opKind},
 * ...), shared by every operator. These get hot and C2 compiles them on their own, speculating on
 * whatever operator classes their profiles have seen so far; when another operator arrives (SUB
 * after ADD, say) the speculation fails, a {@code class_check} trap is recorded in that shared
 * method, and C2 adds those trap counts, once per inlined copy, to the total of every later
 * compilation that inlines it. A kernel with a few dozen vector operations then passes {@code
 * PerMethodTrapLimit} (100) part way through; from there on C2 stops speculating, the vectors'
 * exact class is lost, the vector intrinsics refuse (no constant species), and the vectors are
 * boxed. Measured with {@code -XX:+LogCompilation} and {@code -XX:+PrintIntrinsics} ("missing
 * constant: vclass=DecodeN") on JDK 17, AlexNet batch 1 in a plain loop: in about 4 runs of 10 the
 * F(2x2, 5x5) output transform allocated 0.55-2.0 MB per pass; with {@code
 * -XX:PerMethodTrapLimit=100000}, or with this seeding, 0 of 8 runs did.
 *
 * <p>Whichever operators a kernel uses later, a profile that has already seen three or more classes
 * at a site makes C2 emit an ordinary type check there, which cannot trap. Costs a few hundred ms
 * once per JVM, a quarter of it in the first round (loading each operator's implementation); {@code
 * -Dstride.seedProfiles=false} turns it off (see docs/performance-notes.md).
 */
final class VectorProfiles {
  private VectorProfiles() {}

  /** The system property that turns the seeding off: {@code -Dstride.seedProfiles=false}. */
  static final String PROPERTY = "stride.seedProfiles";

  /**
   * Rounds of {@link #seed}: enough for C1's profiling tier to compile the shared methods and then
   * record every operator class in their profiles. The rarest of them, the reduction, runs 3 times
   * a round: 1,200 calls, 6 times C1's default threshold (Tier3InvocationThreshold, 200); each
   * round costs about as much as the first ones, so more rounds only delay the first result.
   */
  static final int ROUNDS = 400;

  private static final VectorSpecies<Float> SPECIES = VectorGemm.SPECIES;

  /** Same shape as {@link #SPECIES}: a second shape would make C2 see two implementations. */
  private static final VectorSpecies<Integer> INTS =
      VectorSpecies.of(int.class, SPECIES.vectorShape());

  private static final VectorOperators.Binary[] BINARY = {ADD, SUB, MUL, DIV, MAX, MIN};
  private static final VectorOperators.Unary[] UNARY = {NEG, ABS, SQRT};
  private static final VectorOperators.Comparison[] COMPARISONS = {LT, GT, LE, EQ};
  private static final VectorOperators.Associative[] REDUCTIONS = {ADD, MAX, MIN};
  private static final VectorOperators.Binary[] INT_BINARY = {ADD, SUB, AND, OR, LSHL};

  /** Seeds unless {@code stride.seedProfiles} is {@code false}; called once, at class init. */
  static void seedIfEnabled() {
    if (enabled(System.getProperty(PROPERTY))) {
      sink = seed(ROUNDS);
    }
  }

  /** {@link #seed}'s result, kept. */
  @SuppressWarnings("unused")
  private static double sink;

  /** Floats per vector in {@link #seed}. */
  static int lanes() {
    return SPECIES.length();
  }

  static boolean enabled(String property) {
    return property == null || Boolean.parseBoolean(property);
  }

  /**
   * {@code rounds} rounds of every operator above on two vectors of small positive values; each
   * result is added into a sum, so none of the work is dead and leaving an operator out changes the
   * result.
   */
  static double seed(int rounds) {
    int lanes = lanes();
    float[] a = new float[2 * lanes];
    for (int i = 0; i < a.length; i++) {
      a[i] = 1f + i / 64f;
    }
    float[] out = new float[lanes];
    int[] intLanes = new int[lanes];
    double sum = 0;
    for (int r = 0; r < rounds; r++) {
      FloatVector x = FloatVector.fromArray(SPECIES, a, 0);
      FloatVector y = FloatVector.fromArray(SPECIES, a, lanes);
      FloatVector acc = x.lanewise(FMA, y, y);
      for (VectorOperators.Binary op : BINARY) {
        acc = acc.add(x.lanewise(op, y)).add(x.lanewise(op, 0.75f));
      }
      for (VectorOperators.Unary op : UNARY) {
        acc = acc.add(y.lanewise(op));
      }
      for (VectorOperators.Comparison op : COMPARISONS) {
        acc = acc.add(x.blend(y, x.compare(op, y))).add(y.blend(x, y.compare(op, 1.25f)));
      }
      for (VectorOperators.Associative op : REDUCTIONS) {
        sum += acc.reduceLanes(op);
      }
      IntVector bits = (IntVector) acc.reinterpretShape(INTS, 0);
      IntVector one = IntVector.broadcast(INTS, 1);
      IntVector ints = IntVector.zero(INTS);
      for (VectorOperators.Binary op : INT_BINARY) {
        ints = ints.add(bits.lanewise(op, one));
      }
      ints.intoArray(intLanes, 0);
      acc.intoArray(out, 0);
      sum += (double) out[r % lanes] + intLanes[r % lanes];
    }
    return sum;
  }
}
