package dev.kavach.backend.sev.measure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.UUID;

/**
 * The SEV hashes table QEMU writes into the firmware for a measured direct boot ({@code kernel-hashes=on}),
 * byte for byte as QEMU builds it ({@code target/i386/sev.c}): a header (GUID, u16 length) and three entries
 * (GUID, u16 50, SHA-256) for the command line, the initrd and the kernel, in that order, padded with zeros
 * to a multiple of 16 bytes. The header's length is the unpadded 168.
 *
 * <p>The command line is hashed with its terminating NUL, as the guest receives it; an absent or empty one
 * is a single NUL. An absent initrd hashes as empty content.
 */
final class SevHashesTable {
    static final UUID HEADER = UUID.fromString("9438d606-4f22-4cc9-b479-a793d411fd21");
    static final UUID KERNEL = UUID.fromString("4de79437-abd2-427f-b835-d5b172d2045b");
    static final UUID INITRD = UUID.fromString("44baf731-3a2f-4bd7-9af1-41e29169781d");
    static final UUID CMDLINE = UUID.fromString("97d02dd8-bd20-4c94-aa78-e7714d36ab2a");

    private static final int ENTRY = EfiGuid.SIZE + 2 + 32;
    /** Unpadded: header plus three entries. */
    public static final int LENGTH = EfiGuid.SIZE + 2 + 3 * ENTRY;
    public static final int PADDED_LENGTH = (LENGTH + 15) & ~15;

    private final byte[] kernelHash;
    private final byte[] initrdHash;
    private final byte[] cmdlineHash;

    SevHashesTable(byte[] kernelHash, byte[] initrdHash, byte[] cmdlineHash) {
        this.kernelHash = kernelHash.clone();
        this.initrdHash = initrdHash.clone();
        this.cmdlineHash = cmdlineHash.clone();
    }

    /** Hashes the files QEMU would read; the kernel must exist, the initrd is optional. */
    public static SevHashesTable of(Path kernel, Optional<Path> initrd, Optional<String> append) {
        byte[] kernelHash = sha256(kernel, "kernel");
        byte[] initrdHash = initrd.isPresent() ? sha256(initrd.get(), "initrd") : sha256(new byte[0]);
        return new SevHashesTable(kernelHash, initrdHash, sha256(cmdlineBytes(append.orElse(""))));
    }

    /** The command line as QEMU hands it to the guest: UTF-8 with a terminating NUL. */
    static byte[] cmdlineBytes(String append) {
        byte[] text = append.getBytes(StandardCharsets.UTF_8);
        byte[] withNul = new byte[text.length + 1];
        System.arraycopy(text, 0, withNul, 0, text.length);
        return withNul;
    }

    public byte[] kernelHash() {
        return kernelHash.clone();
    }

    public byte[] initrdHash() {
        return initrdHash.clone();
    }

    public byte[] cmdlineHash() {
        return cmdlineHash.clone();
    }

    /** The padded table. */
    public byte[] table() {
        ByteBuffer buf = ByteBuffer.allocate(PADDED_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(EfiGuid.bytes(HEADER)).putShort((short) LENGTH);
        entry(buf, CMDLINE, cmdlineHash);
        entry(buf, INITRD, initrdHash);
        entry(buf, KERNEL, kernelHash);
        return buf.array();
    }

    /** A 4 KiB page, zero except for the padded table at {@code offset}. */
    public byte[] page(int offset) {
        if (offset < 0 || offset + PADDED_LENGTH > LaunchDigest.PAGE_SIZE) {
            throw new MeasurementException("the firmware puts the SEV hashes table at page offset 0x" + Integer.toHexString(offset)
                    + ", where its " + PADDED_LENGTH + " bytes do not fit in the page: the firmware is damaged");
        }
        byte[] page = new byte[LaunchDigest.PAGE_SIZE];
        System.arraycopy(table(), 0, page, offset, PADDED_LENGTH);
        return page;
    }

    private static void entry(ByteBuffer buf, UUID guid, byte[] hash) {
        buf.put(EfiGuid.bytes(guid)).putShort((short) ENTRY).put(hash);
    }

    static byte[] sha256(byte[] data) {
        return digest("SHA-256").digest(data);
    }

    private static byte[] sha256(Path file, String what) {
        MessageDigest digest = digest("SHA-256");
        // Streamed: initrds run to hundreds of MiB.
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw MeasurementException.unreadable(what, file, e);
        }
        return digest.digest();
    }

    static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is part of every Java runtime", e);
        }
    }
}
