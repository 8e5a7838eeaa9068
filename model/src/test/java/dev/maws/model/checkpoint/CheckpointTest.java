package dev.maws.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;
import dev.maws.model.TinyConfigs;
import dev.maws.model.mae.MaskedAutoencoder;
import dev.maws.model.nn.Images;
import dev.maws.model.nn.Parameters;
import dev.maws.model.nn.TensorIO;
import dev.maws.model.optim.AdamW;
import dev.maws.model.optim.TrainingStep;
import dev.maws.model.vit.VitConfig;

class CheckpointTest {
    @TempDir
    Path dir;

    private final VitConfig config = TinyConfigs.micro();
    private final float[] px = TinyConfigs.images(4, 3);

    private CheckpointManifest manifest(long step) {
        return new CheckpointManifest(CheckpointManifest.FORMAT, "MAE", config, 0, "", step, 0.5,
                Map.of("loss", 1.25), Map.of("offsets", Map.of("labeled-images-0", 42)), null, null);
    }

    /** Another store's files as they are; a test overrides what it changes. */
    private static class Delegating implements CheckpointFiles {
        private final CheckpointFiles to;

        Delegating(CheckpointFiles to) {
            this.to = to;
        }

        @Override
        public Output create(String name) throws java.io.IOException {
            return to.create(name);
        }

        @Override
        public java.io.InputStream open(String name) throws java.io.IOException {
            return to.open(name);
        }

        @Override
        public boolean exists(String name) throws java.io.IOException {
            return to.exists(name);
        }
    }

    @Test
    void saveThenLoadGivesIdenticalOutputsAndAnIdenticalNextStep() throws Exception {
        CheckpointFiles files = CheckpointFiles.directory(dir.resolve("step-3"));
        float[] expectedOutput;
        float expectedNextLoss;
        float[] expectedNextWeights;
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            AdamW adamW = AdamW.mae(p, 0.05, 1.0);
            Random masks = new Random(5);
            for (int i = 0; i < 3; i++) {
                TrainingStep.run(p, s -> mae.forward(Images.batch(s, px, 4, config), 0.75, masks).loss(), adamW, 1e-3);
            }
            CheckpointManifest written = Checkpoint.save(files, p, adamW, manifest(3));
            assertEquals(64, written.files().get(Checkpoint.PARAMS).sha256().length());
            expectedOutput = mae.encoder().forward(Images.batch(m, px, 4, config)).toFloatArray();
            expectedNextLoss = TrainingStep.run(p, s -> mae.forward(Images.batch(s, px, 4, config), 0.75, new Random(9)).loss(),
                    adamW, 1e-3).loss();
            expectedNextWeights = p.get("decoder.pred.weight").array().toFloatArray();
        }
        // a fresh process would do this: new model with another seed, then load
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 999)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            AdamW adamW = AdamW.mae(p, 0.05, 1.0);
            CheckpointManifest loaded = Checkpoint.load(files, p, adamW);
            assertEquals(3, loaded.step());
            assertEquals(config, loaded.model());
            assertEquals(1.25, loaded.metrics().get("loss"));
            assertEquals(3, adamW.stepCount());
            assertArrayEquals(expectedOutput, mae.encoder().forward(Images.batch(m, px, 4, config)).toFloatArray());
            float nextLoss = TrainingStep.run(p, s -> mae.forward(Images.batch(s, px, 4, config), 0.75, new Random(9)).loss(),
                    adamW, 1e-3).loss();
            assertEquals(expectedNextLoss, nextLoss);
            assertArrayEquals(expectedNextWeights, p.get("decoder.pred.weight").array().toFloatArray());
        }
    }

    @Test
    void aWriteThatFailsPartWayPublishesNothing() throws Exception {
        Path cp = dir.resolve("step-4");
        CheckpointFiles local = CheckpointFiles.directory(cp);
        // a store that takes 1,000 bytes of a file and then fails, as a full disk or a broken connection would
        CheckpointFiles failing = new Delegating(local) {
            @Override
            public Output create(String name) throws java.io.IOException {
                Output target = local.create(name);
                return new Output() {
                    private long written;

                    @Override
                    public void write(int b) throws java.io.IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws java.io.IOException {
                        if (written + len > 1000) {
                            throw new java.io.IOException("no space left");
                        }
                        written += len;
                        target.write(b, off, len);
                    }

                    @Override
                    public void close() throws java.io.IOException {
                        target.close();
                    }

                    @Override
                    public void abort() {
                        target.abort();
                    }
                };
            }
        };
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            new MaskedAutoencoder(p, config, true);
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> Checkpoint.save(failing, p, null, manifest(4)));
            assertEquals("no space left", e.getMessage());
        }
        try (java.util.stream.Stream<Path> left = java.nio.file.Files.list(cp)) {
            assertEquals(List.of(), left.toList(), "no file, whole or partial, and no temporary one");
        }
    }

    @Test
    void aCorruptFileIsRefusedAndChangesNothing() throws Exception {
        Path cp = dir.resolve("step-1");
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            new MaskedAutoencoder(p, config, true);
            Checkpoint.save(CheckpointFiles.directory(cp), p, null, manifest(1));
        }
        byte[] bytes = flipLastBit(cp.resolve(Checkpoint.PARAMS));
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 7)) {
            new MaskedAutoencoder(p, config, true);
            float[] before = p.get("encoder.norm.weight").array().toFloatArray();
            float[] token = p.get("encoder.cls_token").array().toFloatArray();
            Checkpoint.CheckpointException e = assertThrows(Checkpoint.CheckpointException.class,
                    () -> Checkpoint.load(CheckpointFiles.directory(cp), p, null));
            assertTrue(e.getMessage().startsWith("model.params does not match its manifest"), e.getMessage());
            assertArrayEquals(before, p.get("encoder.norm.weight").array().toFloatArray());
            assertArrayEquals(token, p.get("encoder.cls_token").array().toFloatArray());
            // corrupt where it no longer parses: still the checksum that speaks, and still nothing set
            bytes[bytes.length - 1] ^= 1;
            bytes[0] ^= 0x40;
            Files.write(cp.resolve(Checkpoint.PARAMS), bytes);
            e = assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.load(CheckpointFiles.directory(cp), p, null));
            assertTrue(e.getMessage().startsWith("model.params does not match its manifest"), e.getMessage());
            assertArrayEquals(before, p.get("encoder.norm.weight").array().toFloatArray());
        }
    }

    @Test
    void aCorruptOptimizerStateIsRefusedAndChangesNeitherTheOptimizerNorTheParameters() throws Exception {
        Path cp = dir.resolve("step-3");
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(p, config, true);
            AdamW adamW = AdamW.mae(p, 0.05, 1.0);
            TrainingStep.run(p, st -> mae.forward(Images.batch(st, px, 4, config), 0.75, new Random(5)).loss(), adamW, 1e-3);
            Checkpoint.save(CheckpointFiles.directory(cp), p, adamW, manifest(3));
        }
        flipLastBit(cp.resolve(Checkpoint.OPTIMIZER));
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 7)) {
            new MaskedAutoencoder(p, config, true);
            AdamW fresh = AdamW.mae(p, 0.05, 1.0);
            float[] before = p.get("encoder.norm.weight").array().toFloatArray();
            int live = p.liveArrays();
            Checkpoint.CheckpointException e = assertThrows(Checkpoint.CheckpointException.class,
                    () -> Checkpoint.load(CheckpointFiles.directory(cp), p, fresh));
            assertTrue(e.getMessage().startsWith("optimizer.bin does not match its manifest"), e.getMessage());
            assertEquals(0, fresh.stepCount(), "the optimizer kept its own state");
            assertArrayEquals(before, p.get("encoder.norm.weight").array().toFloatArray());
            assertEquals(live, p.liveArrays(), "the state read from the file was freed");
            java.io.ByteArrayOutputStream state = new java.io.ByteArrayOutputStream();
            fresh.save(new java.io.DataOutputStream(state));
            java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(state.toByteArray()));
            in.readInt();
            in.readLong();
            int count = in.readInt();
            for (int i = 0; i < count; i++) { // m and v of every parameter still all zeros
                String name = in.readUTF();
                for (int j = 0; j < 2; j++) {
                    for (float x : TensorIO.read(in, p.get(name).array().getShape(), name)) {
                        assertEquals(0f, x, name);
                    }
                }
            }
        }
    }

    /** Corrupts a file by one bit of its last byte (where it still parses); returns its new bytes. */
    private static byte[] flipLastBit(Path file) throws java.io.IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1;
        Files.write(file, bytes);
        return bytes;
    }

    @Test
    void theParametersAndTheOptimizerStateAreReadOnce() throws Exception {
        Path cp = dir.resolve("step-5");
        Map<String, Integer> opened = new java.util.HashMap<>();
        CheckpointFiles local = CheckpointFiles.directory(cp);
        CheckpointFiles counting = new Delegating(local) {
            @Override
            public java.io.InputStream open(String name) throws java.io.IOException {
                opened.merge(name, 1, Integer::sum);
                return super.open(name);
            }
        };
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            new MaskedAutoencoder(p, config, true);
            Checkpoint.save(local, p, AdamW.mae(p, 0.05, 1.0), manifest(5));
            float[] saved = p.get("encoder.norm.weight").array().toFloatArray();
            try (NDManager m2 = NDManager.newBaseManager(); Parameters q = new Parameters(m2, 9)) {
                new MaskedAutoencoder(q, config, true);
                Checkpoint.load(counting, q, AdamW.mae(q, 0.05, 1.0));
                assertArrayEquals(saved, q.get("encoder.norm.weight").array().toFloatArray());
            }
        }
        // a serving model's load (no optimizer) and a resume read each file from S3 once
        assertEquals(Map.of(Checkpoint.MANIFEST, 1, Checkpoint.PARAMS, 1, Checkpoint.OPTIMIZER, 1), opened);
    }

    @Test
    void withoutAManifestThereIsNoCheckpoint() throws Exception {
        Path cp = dir.resolve("step-2");
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1)) {
            new MaskedAutoencoder(p, config, true);
            Checkpoint.save(CheckpointFiles.directory(cp), p, null, manifest(2));
            Files.delete(cp.resolve(Checkpoint.MANIFEST));
            Checkpoint.CheckpointException e = assertThrows(Checkpoint.CheckpointException.class,
                    () -> Checkpoint.load(CheckpointFiles.directory(cp), p, null));
            assertTrue(e.getMessage().contains("incomplete or does not exist"), e.getMessage());
        }
    }

    @Test
    void aCheckpointOfAnotherModelIsRefusedByName() throws Exception {
        Path cp = dir.resolve("mae");
        VitConfig deeper = new VitConfig("deeper", 8, 2, 1, 32, 3, 2, 2.0, 16, 1, 2, VitConfig.Pooling.CLS);
        try (NDManager m = NDManager.newBaseManager(); Parameters p = new Parameters(m, 1);
                Parameters other = new Parameters(m, 1)) {
            new MaskedAutoencoder(p, config, true);
            Checkpoint.save(CheckpointFiles.directory(cp), p, null, manifest(2));
            new MaskedAutoencoder(other, deeper, true);
            Checkpoint.CheckpointException e = assertThrows(Checkpoint.CheckpointException.class,
                    () -> Checkpoint.load(CheckpointFiles.directory(cp), other, null));
            assertTrue(e.getMessage().contains("tensors, the model has"), e.getMessage());
        }
    }
}
