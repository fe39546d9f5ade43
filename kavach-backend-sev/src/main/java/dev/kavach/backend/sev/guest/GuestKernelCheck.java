package dev.kavach.backend.sev.guest;

import dev.kavach.api.ProbeCheck;

import java.nio.file.Path;

/**
 * Whether a guest kernel can ask for an attestation report: the {@code sev} guest agent reads its report
 * through configfs-tsm, which needs the {@code tsm} module (CONFIG_TSM_REPORTS, Linux 6.7+), configfs and the
 * {@code sev-guest} driver, loadable or built in. Debian 12's 6.1 kernel has sev-guest but no TSM reports;
 * its 6.12 kernel has all three as {@code .ko.xz} modules.
 */
public final class GuestKernelCheck {
    /** What to do about a kernel that cannot produce reports. */
    static final String FIX = "use Debian's 6.12 guest kernel: kavach sev fetch-kernel (then set kavach.backends.sev.kernel to the printed path)";

    private GuestKernelCheck() {
    }

    public static ProbeCheck reports(KernelModules tree, Path modules) {
        boolean tsm = tree.available("tsm") || tree.available("tsm_report");
        boolean sevGuest = tree.available("sev-guest");
        boolean configfs = tree.available("configfs") || !tree.has("tsm"); // a built-in tsm brings configfs built in too
        if (tsm && sevGuest && configfs) {
            return ProbeCheck.ok("guest-reports", modules + ": configfs-tsm and sev-guest, so the guest agent can ask for a report");
        }
        StringBuilder missing = new StringBuilder();
        if (!tsm) {
            missing.append("no configfs-tsm report module (tsm, CONFIG_TSM_REPORTS, Linux 6.7+)");
        }
        if (!sevGuest) {
            missing.append(missing.isEmpty() ? "" : ", ").append("no sev-guest driver (CONFIG_SEV_GUEST)");
        }
        if (!configfs) {
            missing.append(missing.isEmpty() ? "" : ", ").append("no configfs (CONFIG_CONFIGFS_FS)");
        }
        return ProbeCheck.missing("guest-reports", modules + " cannot give the guest agent an attestation report: " + missing, FIX);
    }
}
