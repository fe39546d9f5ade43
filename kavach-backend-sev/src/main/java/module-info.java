/**
 * The SEV-SNP backend plugin: AMD SEV-SNP confidential VMs ({@code sev}) and plain VMs ({@code vm})
 * launched with QEMU, and the {@code kavach attest} and {@code kavach sev} commands. Attestation
 * verification itself lives in {@code dev.kavach.attestation.snp}, bundled in the plugin folder.
 *
 * <p>Packages by concern: the root holds the providers, the backend, its settings, probe and launch plan;
 * {@code qemu} finds, runs and confines QEMU; {@code guest} builds the guest image and speaks the guest
 * agent's protocol; {@code snp} holds the SEV-SNP launch, policy and per-exec attestation; {@code measure}
 * computes launch measurements; {@code cli} the plugin's commands. The host reaches the plugin only through
 * its services, so nothing is exported but to the benchmarks: the task format they replay and the backend whose
 * warm pool they wait for.
 */
// The benchmarks module is built only with -Pbench; its absence otherwise is expected.
@SuppressWarnings("module")
module dev.kavach.backend.sev {
    requires dev.kavach.api;
    requires dev.kavach.attestation.snp;
    requires static org.slf4j;
    // The commands' parser, bundled in the plugin folder; it reads their annotated options reflectively.
    requires info.picocli;

    opens dev.kavach.backend.sev.cli to info.picocli;

    // VmFigure encodes the same task archive to time a hand-run QEMU against the backend.
    exports dev.kavach.backend.sev.guest to dev.kavach.benchmarks;
    // VmSessionFigure waits for the warm pool's guests between samples (VmBackend.awaitWarmGuests).
    exports dev.kavach.backend.sev to dev.kavach.benchmarks;

    provides dev.kavach.api.BackendProvider with dev.kavach.backend.sev.SevBackendProvider, dev.kavach.backend.sev.VmBackendProvider;

    provides dev.kavach.api.CommandExtension with dev.kavach.backend.sev.cli.AttestCommand, dev.kavach.backend.sev.cli.SevCommand;
}
