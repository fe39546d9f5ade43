/**
 * The SEV-SNP backend plugin: AMD SEV-SNP confidential VMs ({@code sev}) and plain VMs ({@code vm})
 * launched with QEMU, and the {@code kavach attest} and {@code kavach sev} commands. Attestation
 * verification itself lives in {@code dev.kavach.attestation.snp}, bundled in the plugin folder.
 */
module dev.kavach.backend.sev {
    requires dev.kavach.api;
    requires dev.kavach.attestation.snp;
    requires static org.slf4j;

    exports dev.kavach.backend.sev;

    provides dev.kavach.api.BackendProvider with dev.kavach.backend.sev.SevBackendProvider, dev.kavach.backend.sev.VmBackendProvider;

    provides dev.kavach.api.CommandExtension with dev.kavach.backend.sev.cli.AttestCommand, dev.kavach.backend.sev.SevCommand;
}
