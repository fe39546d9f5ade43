package dev.kavach.api.io;

import dev.kavach.api.StreamOutput;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedCaptureTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void keepsUpToTheLimitAndCountsEveryDroppedByte() {
        BoundedCapture capture = new BoundedCapture(5);
        assertEquals(3, capture.accept(bytes("abc"), 0, 3));
        assertEquals(2, capture.accept(bytes("defgh"), 0, 5), "only the bytes within the limit may be forwarded");
        assertEquals(0, capture.accept(bytes("ijk"), 1, 2));
        StreamOutput output = capture.toOutput();
        assertArrayEquals(bytes("abcde"), output.bytes());
        assertEquals(3 + 2, output.droppedBytes());
        assertTrue(output.truncated());
        assertEquals(10, output.totalBytes());
    }

    @Test
    void zeroMeansNoLimit() {
        BoundedCapture capture = new BoundedCapture(0);
        byte[] big = new byte[1 << 20];
        capture.accept(big, 0, big.length);
        assertEquals(1 << 20, capture.toOutput().size());
        assertFalse(capture.truncated());
    }

    @Test
    void streamingKeepsNothingButStillAppliesTheLimit() {
        BoundedCapture capture = new BoundedCapture(4, false);
        assertEquals(3, capture.accept(bytes("abc"), 0, 3));
        assertEquals(1, capture.accept(bytes("def"), 0, 3));
        assertEquals(0, capture.toOutput().size());
        assertEquals(4, capture.forwarded());
        assertEquals(2, capture.dropped());
    }

    @Test
    void aNegativeLimitIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new BoundedCapture(-1));
    }
}
