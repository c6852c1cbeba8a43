package dev.stride.processor;

import static com.google.common.truth.Truth.assertWithMessage;

import dev.stride.processor.check.Message;
import java.lang.reflect.Method;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Fails when a diagnostic in the catalogue has no test that provokes it. */
class CatalogueCoverageTest {
  /** The classes whose {@link Covers} methods count. */
  private static final List<Class<?>> TESTS =
      List.of(DiagnosticsTest.class, StrideWarningTest.class, BlockDiagnosticsTest.class);

  @Test
  void everyMessageHasATest() {
    Set<Message> covered = EnumSet.noneOf(Message.class);
    for (Class<?> test : TESTS) {
      for (Method method : test.getDeclaredMethods()) {
        Covers covers = method.getAnnotation(Covers.class);
        if (covers != null) {
          assertWithMessage("@Covers on a non-test method %s", method)
              .that(method.isAnnotationPresent(Test.class))
              .isTrue();
          covered.addAll(List.of(covers.value()));
        }
      }
    }
    Set<Message> missing = EnumSet.complementOf(EnumSet.copyOf(covered));
    assertWithMessage("catalogue entries without a @Covers test").that(missing).isEmpty();
  }
}
