package dev.kavach.backend.sev.measure;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The initial VMSA (SEV-ES save area, AMD APM vol. 2 table B-4; Linux {@code struct sev_es_save_area}) QEMU
 * and KVM give each vCPU of an SNP guest: real-mode reset state with CS based so that {@code cs.base + rip}
 * is the reset address, the vCPU signature in RDX, the guest features in SEV_FEATURES, and the x87/SSE
 * control words KVM initialises (FCW 0x37f, MXCSR 0x1f80). Everything else is zero.
 */
final class Vmsa {
    /** Where the bootstrap processor starts: the architectural reset vector. */
    static final long BSP_EIP = 0xFFFF_FFF0L;

    // Offsets in the save area.
    private static final int ES = 0x000, CS = 0x010, SS = 0x020, DS = 0x030, FS = 0x040, GS = 0x050;
    private static final int GDTR = 0x060, LDTR = 0x070, IDTR = 0x080, TR = 0x090;
    private static final int EFER = 0x0D0, CR4 = 0x148, CR0 = 0x158, DR7 = 0x160, DR6 = 0x168, RFLAGS = 0x170, RIP = 0x178;
    private static final int G_PAT = 0x268, RDX = 0x310, SEV_FEATURES = 0x3B0, XCR0 = 0x3E8, MXCSR = 0x408, X87_FCW = 0x410;

    private Vmsa() {
    }

    /** The 4 KiB VMSA of a vCPU starting at {@code eip}. */
    static byte[] page(long eip, long guestFeatures, long vcpuSignature) {
        ByteBuffer vmsa = ByteBuffer.allocate(LaunchDigest.PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        segment(vmsa, ES, 0, 0x93, 0xffff, 0);
        segment(vmsa, CS, 0xf000, 0x9b, 0xffff, eip & 0xffff_0000L);
        segment(vmsa, SS, 0, 0x93, 0xffff, 0);
        segment(vmsa, DS, 0, 0x93, 0xffff, 0);
        segment(vmsa, FS, 0, 0x93, 0xffff, 0);
        segment(vmsa, GS, 0, 0x93, 0xffff, 0);
        segment(vmsa, GDTR, 0, 0, 0xffff, 0);
        segment(vmsa, LDTR, 0, 0x82, 0xffff, 0);
        segment(vmsa, IDTR, 0, 0, 0xffff, 0);
        segment(vmsa, TR, 0, 0x8b, 0xffff, 0);
        vmsa.putLong(EFER, 0x1000); // KVM sets EFER.SVME
        vmsa.putLong(CR4, 0x40); // KVM sets CR4.MCE
        vmsa.putLong(CR0, 0x10);
        vmsa.putLong(DR7, 0x400);
        vmsa.putLong(DR6, 0xffff0ff0L);
        vmsa.putLong(RFLAGS, 0x2);
        vmsa.putLong(RIP, eip & 0xffff);
        vmsa.putLong(G_PAT, 0x0007040600070406L);
        vmsa.putLong(RDX, vcpuSignature);
        vmsa.putLong(SEV_FEATURES, guestFeatures);
        vmsa.putLong(XCR0, 0x1);
        vmsa.putInt(MXCSR, 0x1f80);
        vmsa.putShort(X87_FCW, (short) 0x37f);
        return vmsa.array();
    }

    private static void segment(ByteBuffer vmsa, int offset, int selector, int attrib, long limit, long base) {
        vmsa.putShort(offset, (short) selector).putShort(offset + 2, (short) attrib).putInt(offset + 4, (int) limit).putLong(offset + 8, base);
    }
}
