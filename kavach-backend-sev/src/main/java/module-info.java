/**
 * The SEV-SNP backend plugin: AMD SEV-SNP confidential VMs ({@code sev}) and plain VMs ({@code vm})
 * launched with QEMU, plus attestation report verification usable on its own.
 */
module dev.kavach.backend.sev {
    requires dev.kavach.api;
    requires static org.slf4j;
    requires java.net.http;

    exports dev.kavach.backend.sev.attestation;
    exports dev.kavach.backend.sev;

    provides dev.kavach.api.BackendProvider with dev.kavach.backend.sev.SevBackendProvider, dev.kavach.backend.sev.VmBackendProvider;

    provides dev.kavach.api.CommandExtension with dev.kavach.backend.sev.attestation.cli.AttestCommand, dev.kavach.backend.sev.SevCommand;
}
