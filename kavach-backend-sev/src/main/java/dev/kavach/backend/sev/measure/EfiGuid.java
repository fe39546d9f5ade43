package dev.kavach.backend.sev.measure;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * EFI GUIDs as firmware stores them: the first three fields little-endian, the last eight bytes as written
 * (Python's {@code uuid.UUID.bytes_le}).
 */
final class EfiGuid {
    public static final int SIZE = 16;

    private EfiGuid() {
    }

    public static byte[] bytes(UUID guid) {
        ByteBuffer buf = ByteBuffer.allocate(SIZE);
        long msb = guid.getMostSignificantBits();
        buf.order(ByteOrder.LITTLE_ENDIAN).putInt((int) (msb >>> 32)).putShort((short) (msb >>> 16)).putShort((short) msb);
        buf.order(ByteOrder.BIG_ENDIAN).putLong(guid.getLeastSignificantBits());
        return buf.array();
    }

    public static UUID read(byte[] data, int offset) {
        ByteBuffer buf = ByteBuffer.wrap(data, offset, SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long d1 = Integer.toUnsignedLong(buf.getInt());
        long d2 = Short.toUnsignedLong(buf.getShort());
        long d3 = Short.toUnsignedLong(buf.getShort());
        long lsb = buf.order(ByteOrder.BIG_ENDIAN).getLong();
        return new UUID((d1 << 32) | (d2 << 16) | d3, lsb);
    }
}
