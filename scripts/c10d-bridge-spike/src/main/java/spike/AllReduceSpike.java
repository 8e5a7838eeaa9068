package spike;

import ai.djl.ndarray.*;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.*;

/** One rank of a two-rank all-reduce of a DJL tensor through c10d; see run-allreduce.sh. */
public class AllReduceSpike {
    static Tensor view(NDArray a) {
        long h = ((PtNDArray) a).getHandle();
        return new Tensor(new Pointer() { { address = h; } });
    }
    public static void main(String[] a) throws Exception {
        int rank = Integer.parseInt(a[0]), world = Integer.parseInt(a[1]), port = Integer.parseInt(a[2]);
        long n = Long.parseLong(a.length > 3 ? a[3] : "1000");
        try (NDManager m = NDManager.newBaseManager()) {
            m.zeros(new Shape(1)); // libtorch loaded by DJL
            System.load(System.getProperty("maws.c10d.lib")); // after DJL: the shim finds libtorch_cpu.so loaded
            long t0 = System.nanoTime();
            long raw = C10dStore.newTcpStore("127.0.0.1", port, world, rank == 0, 30_000);
            long rawPg = C10dStore.newGlooGroup(raw, rank, world, "127.0.0.1", 30_000, 1);
            ProcessGroupGloo pg = new ProcessGroupGloo(new Pointer() { { address = rawPg; } });
            System.out.printf("rank %d: store + gloo group in %.0f ms%n", rank, (System.nanoTime() - t0) / 1e6);
            NDArray x = m.full(new Shape(n), (float) (rank + 1));
            for (int it = 0; it < 5; it++) {
                long t = System.nanoTime();
                Work w = pg.allreduce(new TensorVector(view(x)));
                w._wait();
                System.out.printf("rank %d: allreduce of %d floats %.2f ms, x[0]=%s%n", rank, n, (System.nanoTime() - t) / 1e6, x.getFloat(0));
            }
        }
    }
}
