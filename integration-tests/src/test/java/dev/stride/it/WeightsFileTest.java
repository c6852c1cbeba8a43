package dev.stride.it;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights files that do not fit the generated model fail with a checked, informative error. */
class WeightsFileTest {
  @Test
  void anotherNetworksWeightsNameTheMismatchingTensor() {
    Path lenet = Reference.resource("LeNet.weights.safetensors");
    // Both have fc1.weight, of shapes [32, 20] and [120, 400]; LeNet has conv1, FlatMlp has bn.
    IOException e = assertThrows(IOException.class, () -> NestedSpecs_FlatMlpModel.load(lenet));
    String message = e.getMessage();
    assertNotNull(message, "message");
    assertTrue(
        message.contains("fc1.weight") || message.contains("conv1") || message.contains("bn."),
        "message should name a tensor: " + message);
  }

  @Test
  void truncatedFileFailsWithIoException(@TempDir Path dir) throws IOException {
    byte[] bytes = Files.readAllBytes(Reference.resource("LeNet.weights.safetensors"));
    Path truncated = dir.resolve("truncated.safetensors");
    Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 100));
    IOException e = assertThrows(IOException.class, () -> LeNetModel.load(truncated));
    assertTrue(
        e.getMessage() != null && e.getMessage().contains("fc3"),
        "the last tensors, fc3.*, lose their data: " + e.getMessage());
  }

  @Test
  void stepCounterOfBatchNormIsIgnored() throws IOException {
    // The committed file has bn1/bn2.num_batches_tracked as I64, exactly as torch saves it.
    Path file = Reference.resource("NormAndActivations.weights.safetensors");
    assertNotNull(NormAndActivationsModel.load(file));
  }
}
