package dev.kavach.backend.sev.qemu;

import java.util.Locale;

/** How QEMU runs guest code: hardware virtualisation (KVM) or software emulation (TCG). */
public enum Accel {
    KVM, TCG;

    public String qemuName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
