package dev.kavach.backend.sev;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendInfo;
import dev.kavach.api.Capability;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.IsolationKind;
import dev.kavach.api.SandboxBackend;

import java.util.List;
import java.util.Optional;

/** The {@code vm} backend: each command in a fresh QEMU VM with its own kernel; KVM when usable, else TCG. */
public final class VmBackendProvider implements BackendProvider {
    private static final BackendInfo INFO = new BackendInfo("vm", "QEMU virtual machine", IsolationKind.VM, 300,
            "Runs each command in a fresh QEMU VM with its own Linux kernel (KVM when usable, else software emulation), or in a session guest kept across execs")
            .withCapabilities(Capability.SESSIONS, Capability.FILES);

    @Override
    public BackendInfo info() {
        return INFO;
    }

    @Override
    public Availability probe(BackendContext context) {
        return VmProbe.probe(context, false);
    }

    @Override
    public SandboxBackend create(BackendContext context) {
        return VmBackends.create(context, false);
    }

    /** Builds the command line from the settings alone: a dry run needs no KVM. */
    @Override
    public Optional<List<String>> commandLine(BackendContext context, ExecRequest request) {
        try (VmBackend backend = VmBackends.assemble(context, false)) {
            return backend.commandLine(request);
        }
    }
}
