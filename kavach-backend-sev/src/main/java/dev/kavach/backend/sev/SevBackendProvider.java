package dev.kavach.backend.sev;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendInfo;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.IsolationKind;
import dev.kavach.api.SandboxBackend;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code sev} backend: each command in a fresh AMD SEV-SNP confidential VM whose memory the host cannot
 * read; every result carries a verified attestation report bound to the task.
 */
public final class SevBackendProvider implements BackendProvider {
    private static final BackendInfo INFO = new BackendInfo("sev", "AMD SEV-SNP confidential VM", IsolationKind.CONFIDENTIAL_VM, 500,
            "Runs each command in a fresh SEV-SNP confidential VM (QEMU, KVM) and verifies its attestation report");

    @Override
    public BackendInfo info() {
        return INFO;
    }

    @Override
    public Availability probe(BackendContext context) {
        return VmProbe.probe(context, true);
    }

    @Override
    public SandboxBackend create(BackendContext context) {
        return VmBackends.create(context, true);
    }

    /** Builds the command line from the settings alone: a dry run needs no KVM, /dev/sev or SNP firmware. */
    @Override
    public Optional<List<String>> commandLine(BackendContext context, ExecRequest request) {
        try (VmBackend backend = VmBackends.assemble(context, true)) {
            return backend.commandLine(request);
        }
    }

    /**
     * The launch measurement the guest of this request must report ({@code measurement}, 96 hex digits),
     * computed from the same launch description as the command line; {@code measurement-error} says why
     * there is none (e.g. a firmware without the kernel-hashes section).
     */
    @Override
    public Map<String, String> dryRunDetails(BackendContext context, ExecRequest request) {
        try (VmBackend backend = VmBackends.assemble(context, true)) {
            return details(backend, request);
        }
    }

    public static Map<String, String> details(VmBackend backend, ExecRequest request) {
        Map<String, String> details = new LinkedHashMap<>();
        try {
            backend.expectedMeasurement(request).ifPresent(m -> details.put("measurement", m.hex()));
            if (backend.launch(request).snp().filter(snp -> !snp.kernelHashes()).isPresent()) {
                details.put("measurement-scope", "firmware and vCPUs only: kernel-hashes is off, so the kernel, initrd and command line"
                        + " are not measured and the report does not prove which ran");
            }
        } catch (dev.kavach.api.ConfigurationException e) {
            details.put("measurement-error", e.getMessage() + (e.fix().isEmpty() ? "" : " (fix: " + e.fix() + ")"));
        }
        return details;
    }
}
