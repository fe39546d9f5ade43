package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.guest.VmChannels;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;
import dev.kavach.backend.sev.snp.SnpLaunch;

import dev.kavach.api.BackendSettings;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Inputs for translator tests: settings, boots, channels and SNP launches with known values. */
final class TranslatorFixtures {
    static final byte[] HOST_DATA = new byte[32];

    static {
        for (int i = 0; i < HOST_DATA.length; i++) {
            HOST_DATA[i] = (byte) i;
        }
    }

    private TranslatorFixtures() {
    }

    static VmSettings settings(boolean snp, Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>(Map.of("kernel", "/k/vmlinuz", "max-cpus", "4", "max-memory", "4G"));
        values.putAll(overrides);
        return VmSettings.from(BackendSettings.of(snp ? "kavach.backends.sev" : "kavach.backends.vm", values), snp);
    }

    static GuestBoot boot() {
        return new GuestBoot(Path.of("/k/vmlinuz"), Path.of("/k/initrd.gz"), GuestBoot.BASE_APPEND);
    }

    static VmChannels channels() {
        return VmChannels.in(Path.of("/run/kavach/vm1"));
    }

    static Optional<SnpLaunch> snp(SnpGuestPolicy policy) {
        return Optional.of(new SnpLaunch(policy, 51, 1, HOST_DATA, Path.of("/fw/OVMF.amdsev.fd"), Path.of("/dev/sev"), true));
    }
}
