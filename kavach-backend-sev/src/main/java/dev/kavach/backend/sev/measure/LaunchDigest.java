package dev.kavach.backend.sev.measure;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;

/**
 * The launch digest as the PSP chains it during SNP_LAUNCH_UPDATE (SNP firmware ABI, PAGE_INFO): starting
 * from 48 zero bytes, each page updates it to SHA-384 of {@code digest || contents || u16 0x70 || u8 page
 * type || u8 imi=0 || u8 vmpl3 || u8 vmpl2 || u8 vmpl1 perms (0) || u8 0 || u64 gpa}, little-endian. Normal
 * and VMSA pages contribute the SHA-384 of their 4 KiB; zero, secrets and CPUID pages contribute 48 zeros.
 */
final class LaunchDigest {
    static final int PAGE_SIZE = 4096;
    static final int SIZE = 48;
    /** The VMSA's RMP entry: GPA (u64)-1, page aligned, bits above 51 clear. */
    static final long VMSA_GPA = 0xFFFF_FFFF_F000L;

    private static final int PAGE_INFO_LENGTH = 0x70;
    private static final byte NORMAL = 0x01;
    private static final byte VMSA = 0x02;
    private static final byte ZERO = 0x03;
    private static final byte SECRETS = 0x05;
    private static final byte CPUID = 0x06;

    private final MessageDigest sha384 = SevHashesTable.digest("SHA-384");
    private byte[] digest = new byte[SIZE];

    byte[] digest() {
        return digest.clone();
    }

    /** Measures {@code data} as normal pages starting at {@code gpa}; the length must be whole pages. */
    void normalPages(long gpa, byte[] data) {
        requirePages(data.length, "data at 0x" + Long.toHexString(gpa));
        for (int offset = 0; offset < data.length; offset += PAGE_SIZE) {
            sha384.update(data, offset, PAGE_SIZE);
            update(NORMAL, gpa + offset, sha384.digest());
        }
    }

    void zeroPages(long gpa, long length) {
        requirePages(length, "the section at 0x" + Long.toHexString(gpa));
        for (long offset = 0; offset < length; offset += PAGE_SIZE) {
            update(ZERO, gpa + offset, new byte[SIZE]);
        }
    }

    void secretsPage(long gpa) {
        update(SECRETS, gpa, new byte[SIZE]);
    }

    void cpuidPage(long gpa) {
        update(CPUID, gpa, new byte[SIZE]);
    }

    void vmsaPage(byte[] page) {
        if (page.length != PAGE_SIZE) {
            throw new IllegalArgumentException("a VMSA is one page, got " + page.length + " bytes");
        }
        update(VMSA, VMSA_GPA, sha384.digest(page));
    }

    private void update(byte type, long gpa, byte[] contents) {
        ByteBuffer info = ByteBuffer.allocate(PAGE_INFO_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        info.put(digest).put(contents).putShort((short) PAGE_INFO_LENGTH).put(type).put((byte) 0) // imi
                .put((byte) 0).put((byte) 0).put((byte) 0) // vmpl3, vmpl2, vmpl1 permissions
                .put((byte) 0).putLong(gpa);
        digest = sha384.digest(info.array());
    }

    private static void requirePages(long length, String what) {
        if (length % PAGE_SIZE != 0) {
            throw new MeasurementException(what + " is " + length + " bytes, not a whole number of 4 KiB pages: the PSP measures only"
                    + " whole pages, so this firmware cannot be launched as it is");
        }
    }
}
