package dev.maws.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.maws.devstack.DevStack;
import dev.maws.platform.dataset.Dataset;
import dev.maws.platform.dataset.DatasetStore;
import dev.maws.platform.objectstore.ObjectStore;

/** A user's ImageFolder evaluation set into the real S3 of the devstack. */
class ImageFolderImportTest {
    @TempDir
    static Path dir;
    static DevStack stack;
    static ObjectStore store;
    final Progress progress = new Progress(new PrintStream(new ByteArrayOutputStream()), false);

    @BeforeAll
    static void start() {
        stack = new DevStack(dir.resolve("devstack")).start();
        store = ObjectStore.of(stack.serviceConfig());
    }

    @AfterAll
    static void stop() {
        store.close();
        stack.close();
    }

    private static void image(Path file, String format) throws Exception {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        img.setRGB(3, 4, 0xff8800);
        ImageIO.write(img, format, file.toFile());
    }

    @Test
    void classFoldersBecomeTheDatasetsClassesAndNonImagesAreCountedNotImported() throws Exception {
        Path root = dir.resolve("set-a");
        image(root.resolve("train/Ankle boot/a one.jpg"), "jpg");
        image(root.resolve("train/Ankle boot/b.PNG"), "png");
        image(root.resolve("train/sandal/c.png"), "png");
        image(root.resolve("val/sandal/d.jpg"), "jpg");
        image(root.resolve("val/Ankle boot/e.jpg"), "jpg");
        Files.writeString(root.resolve("train/sandal/notes.txt"), "not an image");

        ImageFolderImport.Imported imported = ImageFolderImport.run(store, root, progress);

        assertEquals(List.of("Ankle boot", "sandal"), imported.classes());
        assertEquals("val", imported.testSplit());
        assertEquals(Map.of("train: not an image file (jpg, jpeg, png, webp)", 1), imported.skipped());
        Dataset train = new DatasetStore(store).find(ImageFolderImport.DATASET, "train", 1 << 20).orElseThrow();
        Dataset test = new DatasetStore(store).find(ImageFolderImport.DATASET, "test", 1 << 20).orElseThrow();
        assertEquals(List.of(0, 0, 1), train.examples().stream().map(Dataset.Example::label).toList());
        assertEquals(List.of(0, 1), test.examples().stream().map(Dataset.Example::label).toList());
        byte[] first = store.get(train.examples().get(0).key());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(root.resolve("train/Ankle boot/a one.jpg")), first),
                "the file's bytes under a safe key");
    }

    @Test
    void aSetWithoutTrainOrTestOrWithUnknownTestClassesIsRefusedWithWhatToFix() throws Exception {
        Path onlyTrain = dir.resolve("only-train");
        image(onlyTrain.resolve("train/a/x.png"), "png");
        image(onlyTrain.resolve("train/b/x.png"), "png");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageFolderImport.run(store, onlyTrain, progress));
        assertTrue(e.getMessage().contains("test/ (or val/)"), e.getMessage());

        image(onlyTrain.resolve("test/c/x.png"), "png");
        e = assertThrows(IllegalArgumentException.class, () -> ImageFolderImport.run(store, onlyTrain, progress));
        assertTrue(e.getMessage().contains("classes that train/ lacks: [c]"), e.getMessage());

        Path oneClass = dir.resolve("one-class");
        image(oneClass.resolve("train/a/x.png"), "png");
        image(oneClass.resolve("test/a/x.png"), "png");
        e = assertThrows(IllegalArgumentException.class, () -> ImageFolderImport.run(store, oneClass, progress));
        assertTrue(e.getMessage().contains("at least two"), e.getMessage());
    }
}
