package dev.stride.it;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.stride.benchmarks.onnx.OnnxExport;
import dev.stride.graph.Graph;
import dev.stride.runtime.Safetensors;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * The block references checked without Stride's kernels: the formula weights (under torchvision's
 * names) and the network written as graph rows, exported to ONNX and run by ONNX Runtime, against
 * the committed PyTorch output. Arguments: network name, manifest file, rows file. Exits 1 if the
 * graph's totals differ from PyTorch's or the output is off by more than 1e-4 of its scale.
 */
public final class OrtCheck {
  private OrtCheck() {}

  public static void main(String[] args) throws Exception {
    String net = args[0];
    Path dir = Path.of(args[3]);
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(dir.resolve(net + ".properties"))) {
      p.load(in);
    }
    int batch = Integer.parseInt(p.getProperty("batch"));
    int[] sample = FormulaWeights.parseDims(p.getProperty("input"));
    Graph g = Graph.parse(net, sample, Files.readAllLines(Path.of(args[2])).toArray(new String[0]));
    boolean ok =
        g.parameterCount() == Long.parseLong(p.getProperty("parameterCount"))
            && g.multiplyAdds() == Long.parseLong(p.getProperty("multiplyAdds"));
    System.out.printf(
        "%s: graph %,d parameters, %,d multiply-adds; PyTorch %s, %s%n",
        net,
        g.parameterCount(),
        g.multiplyAdds(),
        p.getProperty("parameterCount"),
        p.getProperty("multiplyAdds"));
    byte[] onnx =
        OnnxExport.export(
            g,
            FormulaWeights.tensors(
                FormulaWeights.readManifest(dir.resolve(args[1])),
                Double.parseDouble(p.getProperty("weightGain"))));
    float[] input = FormulaWeights.input(sample, batch);
    float[] expected =
        Safetensors.read(dir.resolve(net + ".output.safetensors")).get("output").data();
    long[] shape = new long[sample.length + 1];
    shape[0] = batch;
    for (int i = 0; i < sample.length; i++) {
      shape[i + 1] = sample[i];
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession s = env.createSession(onnx, options);
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
        OrtSession.Result r = s.run(Map.of("input", in))) {
      FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
      float[] got = new float[out.remaining()];
      out.get(got);
      double scale = 0;
      double diff = got.length == expected.length ? 0 : Double.POSITIVE_INFINITY;
      for (int i = 0; i < Math.min(got.length, expected.length); i++) {
        scale = Math.max(scale, Math.abs(expected[i]));
        diff = Math.max(diff, Math.abs(expected[i] - got[i]));
      }
      ok &= diff <= 1e-4 * scale;
      System.out.printf(
          "%s: max |ORT - PyTorch| %.3e, output scale %.3e, relative %.3e: %s%n",
          net, diff, scale, diff / scale, ok ? "ok" : "MISMATCH");
    }
    System.exit(ok ? 0 : 1);
  }
}
