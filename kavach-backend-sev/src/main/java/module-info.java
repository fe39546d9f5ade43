/**
 * The SEV-SNP backend plugin: AMD SEV-SNP confidential VMs ({@code sev}) and plain VMs ({@code vm})
 * launched with QEMU, plus attestation report verification usable on its own.
 */
module dev.kavach.backend.sev {
    requires dev.kavach.api;
    requires static org.slf4j;
}
