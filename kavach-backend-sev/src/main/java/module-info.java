/**
 * The SEV-SNP backend plugin: AMD SEV-SNP confidential VMs ({@code sev}) and plain VMs ({@code vm})
 * launched with QEMU, plus attestation report verification usable on its own.
 */
module dev.kavach.backend.sev {
    requires dev.kavach.api;
    requires static org.slf4j;
    // Optional: the host's boot layer may lack it, and a plugin layer cannot load a JDK module itself;
    // KdsClient says how to add it when a KDS fetch is asked for.
    requires static java.net.http;

    exports dev.kavach.backend.sev.attestation;
    exports dev.kavach.backend.sev;

    provides dev.kavach.api.BackendProvider with dev.kavach.backend.sev.SevBackendProvider, dev.kavach.backend.sev.VmBackendProvider;

    provides dev.kavach.api.CommandExtension with dev.kavach.backend.sev.attestation.cli.AttestCommand, dev.kavach.backend.sev.SevCommand;
}
