package dev.maws.devstack.fashion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.stream.IntStream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

class FashionMnistTest {
    @Test
    void theFixtureHoldsEveryClassAsDecodablePngs() throws Exception {
        FashionMnist train = FashionMnist.fixture("train");
        assertEquals(500, train.size());
        assertEquals(100, FashionMnist.fixture("t10k").size());
        long[] perClass = new long[10];
        IntStream.range(0, train.size()).forEach(i -> perClass[train.label(i)]++);
        for (int c = 0; c < 10; c++) {
            assertEquals(true, perClass[c] >= 40, "class " + c + " has " + perClass[c] + " images");
        }
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(train.png(0)));
        assertEquals(28, img.getWidth());
        assertEquals(28, img.getHeight());
        assertEquals(1, img.getRaster().getNumBands());
        assertEquals(10, FashionMnist.CLASS_SYNSETS.size());
        assertEquals(10, FashionMnist.CLASS_HASHTAGS.size());
    }

    @Test
    void theFixtureIsThePrefixOfTheInstalledSet() throws Exception {
        assumeTrue(FashionMnist.isInstalled(), "dataset-fashion-mnist is not installed");
        FashionMnist full = FashionMnist.installed("t10k");
        FashionMnist fixture = FashionMnist.fixture("t10k");
        assertEquals(10_000, full.size());
        for (int i = 0; i < fixture.size(); i++) {
            assertEquals(full.label(i), fixture.label(i));
            assertArrayEquals(full.png(i), fixture.png(i));
        }
    }

    @Test
    void anUnknownSplitIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FashionMnist.fixture("test"));
        assertEquals("Fashion-MNIST splits are \"train\" and \"t10k\", not \"test\"", e.getMessage());
    }
}
