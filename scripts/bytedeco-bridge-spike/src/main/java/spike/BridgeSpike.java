package spike;

import ai.djl.ndarray.*;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.*;
import ai.djl.training.GradientCollector;
import ai.djl.engine.Engine;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import java.nio.file.*;

/** DJL tensors through bytedeco's scaled_dot_product_attention on one libtorch; see run.sh. */
public class BridgeSpike {
    static Tensor view(NDArray a) {
        long h = ((PtNDArray) a).getHandle();
        return new Tensor(new Pointer() { { address = h; } });
    }
    static NDArray own(PtNDManager m, Tensor t) {
        Tensor copy = new Tensor(t);   // new at::Tensor sharing storage, DJL deletes it
        copy.deallocate(false);
        return new PtNDArray(m, copy.address());
    }
    public static void main(String[] a) throws Exception {
        if (a.length > 0 && a[0].equals("unpack")) {
            try (NDManager m = NDManager.newBaseManager()) {
                m.zeros(new Shape(1));
            }
            return;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = m.randomNormal(new Shape(2, 4, 16, 8));
            NDArray k = m.randomNormal(new Shape(2, 4, 16, 8));
            NDArray v = m.randomNormal(new Shape(2, 4, 16, 8));
            q.setRequiresGradient(true);
            NDArray ref, refGrad, fused, fusedGrad;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray s = q.matMul(k.transpose(0, 1, 3, 2)).mul(m.create((float) (1 / Math.sqrt(8))));
                ref = s.softmax(-1).matMul(v);
                gc.backward(ref.mul(ref).sum());
            }
            refGrad = q.getGradient().duplicate();
            q.getGradient().subi(q.getGradient().duplicate());
            // bytedeco on the same libtorch
            Tensor out = torch.scaled_dot_product_attention(view(q), view(k), view(v));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                out = torch.scaled_dot_product_attention(view(q), view(k), view(v));
                fused = own((PtNDManager) m, out);
                gc.backward(fused.mul(fused).sum());
            }
            fusedGrad = q.getGradient();
            System.out.println("max |fused-ref| = " + fused.sub(ref).abs().max().getFloat());
            System.out.println("max |dq fused - dq ref| = " + fusedGrad.sub(refGrad).abs().max().getFloat() + " (|dq| max " + refGrad.abs().max().getFloat() + ")");
        }
        long n = Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.endsWith("libtorch_cpu.so")).map(l -> l.substring(l.lastIndexOf(' ') + 1)).distinct().peek(System.out::println).count();
        System.out.println("distinct libtorch_cpu.so mapped: " + n);
        Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("gomp") || l.contains("jnitorch") || l.contains("openblas")).map(l -> l.substring(l.lastIndexOf(' ') + 1)).distinct().forEach(System.out::println);
    }
}
