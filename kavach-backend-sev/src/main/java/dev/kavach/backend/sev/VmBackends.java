package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.qemu.HostCpu;
import dev.kavach.backend.sev.snp.ExecAttestor;
import dev.kavach.backend.sev.snp.SnpExecAttestor;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendUnavailableException;
import dev.kavach.api.ConfigurationException;
import dev.kavach.attestation.snp.AttestationSettings;
import dev.kavach.attestation.snp.ResultAttestation;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates {@link VmBackend} instances for the {@code vm} and {@code sev} providers from a backend context. */
public final class VmBackends {
    private static final Logger LOG = LoggerFactory.getLogger(VmBackends.class);

    private VmBackends() {
    }

    static VmBackend create(BackendContext context, boolean snp) {
        Availability availability = VmProbe.probe(context, snp);
        if (!availability.available()) {
            throw new BackendUnavailableException(context.backendId(), availability);
        }
        VmBackend backend = assemble(context, snp);
        // What a JVM killed with kill -9 left behind: its VM directories and, should one have escaped the
        // parent-death signal, its QEMU. Only provably dead owners' (pid and start time) are swept.
        List<Path> swept = VmWorkDirs.sweep(socketRoot(), context.backendId());
        if (!swept.isEmpty()) {
            LOG.debug("{}: swept {} VM directories that dead JVMs left: {}", context.backendId(), swept.size(), swept);
        }
        return backend;
    }

    /** Where per-VM socket directories go. */
    static Path socketRoot() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * Builds the backend from the settings without probing the host, e.g. to print the command line a
     * host with SEV-SNP would run ({@code kavach sev dry-run}); settings problems still fail.
     */
    public static VmBackend assemble(BackendContext context, boolean snp) {
        VmSettings settings = VmSettings.from(context.settings(), snp);
        String prefix = context.settings().prefix() + ".";
        Accel accel = VmProbe.accel(settings, snp, context.stateDir());
        Path kernel = GuestSetup.kernel(settings, prefix);
        Path initrd = GuestSetup.initrd(settings, kernel, snp, context.stateDir(), prefix);
        Path bootKernel = GuestSetup.bootKernel(settings, kernel, accel, snp, context.stateDir());
        String append = settings.extraAppend().isEmpty() ? GuestBoot.BASE_APPEND : GuestBoot.BASE_APPEND + " " + settings.extraAppend();
        GuestBoot boot = new GuestBoot(bootKernel, initrd, append);
        Optional<VmBackend.Snp> snpPart = Optional.empty();
        if (snp) {
            VmSettings.Snp s = settings.snp().orElseThrow();
            HostCpu.EncryptionLeaf leaf = HostCpu.system().encryptionLeaf();
            int cbitpos = s.cbitpos().or(leaf::cbitpos).orElseThrow(() -> new ConfigurationException(
                    "the C-bit position is unknown: " + leaf.explanation(), "set " + prefix + "cbitpos (51 on Milan and Genoa)"));
            SnpGuestPolicy policy = s.effectivePolicy(HostCpu.smtActive());
            AttestationSettings attestation = AttestationSettings.from(context.settings(), context.stateDir());
            ExecAttestor attestor = new SnpExecAttestor(UUID.randomUUID().toString(),
                    Map.of("policy", policy.toHex(), "kernel", kernel.toString(), "initrd", initrd.toString()),
                    ResultAttestation.from(attestation), policy.toBits());
            snpPart = Optional.of(new VmBackend.Snp(policy, cbitpos, s.reducedPhysBits(), s.firmware(), s.sevDevice(), s.kernelHashes(),
                    s.guestFeatures(), s.vcpuSignature(), attestor));
        }
        LOG.debug("{}: accelerator {}, kernel {} (boots {}), initrd {}, append '{}'{}", context.backendId(), accel, kernel, bootKernel,
                initrd, append, snpPart.map(s -> ", SEV-SNP policy " + s.policy().toHex() + ", C-bit " + s.cbitpos()).orElse(""));
        return new VmBackend(context.backendId(), settings, accel, boot, snpPart, socketRoot(), VmPoolSettings.from(context.settings()));
    }
}
