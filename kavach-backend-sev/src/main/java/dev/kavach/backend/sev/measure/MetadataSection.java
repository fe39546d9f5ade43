package dev.kavach.backend.sev.measure;

/**
 * One item of OVMF's SNP metadata ({@code OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm}): guest memory the
 * launch must pre-validate, and how the PSP measures it.
 *
 * @param gpa  guest physical address
 * @param size bytes
 * @param type the section type
 */
public record MetadataSection(long gpa, long size, Type type) {
    public enum Type {
        /** Pre-validated memory for SEC: measured as zero pages. */
        SNP_SEC_MEM(0x1),
        /** The secrets page the PSP fills. */
        SNP_SECRETS(0x2),
        /** The CPUID page the PSP checks. */
        CPUID(0x3),
        /** The SVSM calling area: measured as zero pages. */
        SVSM_CAA(0x4),
        /** The page holding the SEV hashes table of a measured direct boot. */
        SNP_KERNEL_HASHES(0x10);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static Type of(long code) {
            for (Type type : values()) {
                if (type.code == code) {
                    return type;
                }
            }
            throw new MeasurementException("the firmware's SNP metadata has a section of unknown type 0x" + Long.toHexString(code)
                    + " (known: SEC_MEM 0x1, SECRETS 0x2, CPUID 0x3, SVSM_CAA 0x4, KERNEL_HASHES 0x10); this tool cannot say how the PSP measures it");
        }
    }
}
