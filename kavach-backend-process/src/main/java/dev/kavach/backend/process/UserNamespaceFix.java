package dev.kavach.backend.process;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The exact fix when this user may not create user namespaces, which bubblewrap needs to sandbox a command
 * without root (and, with --disable-userns, as root too). It names what blocks them on this host, since each block has its own fix:
 * <ul>
 * <li>Ubuntu 23.10 and later (24.04 included) let AppArmor deny unprivileged user namespaces to every program
 *     without a profile that allows them ({@code kernel.apparmor_restrict_unprivileged_userns = 1});</li>
 * <li>Debian's older kernels had {@code kernel.unprivileged_userns_clone = 0};</li>
 * <li>{@code user.max_user_namespaces = 0} turns them off for everyone.</li>
 * </ul>
 * Kavach never weakens a policy to get around this: the fix is the host's choice, and the trade-off is stated.
 */
final class UserNamespaceFix {
    static final String APPARMOR_SYSCTL = "kernel.apparmor_restrict_unprivileged_userns";

    private UserNamespaceFix() {
    }

    /** The fix for this host, from its sysctls. */
    static String forThisHost(Optional<Path> bwrap) {
        return fix(sysctl("kernel/apparmor_restrict_unprivileged_userns"), sysctl("kernel/unprivileged_userns_clone"),
                sysctl("user/max_user_namespaces"), bwrap.map(Path::toString).orElse("/usr/bin/bwrap"));
    }

    /**
     * The fix for a host with these sysctl values (empty when the host lacks the sysctl).
     *
     * @param bwrap where bubblewrap is, for the AppArmor profile's attachment
     */
    static String fix(Optional<String> apparmorRestrict, Optional<String> usernsClone, Optional<String> maxUserNamespaces, String bwrap) {
        if (apparmorRestrict.filter("1"::equals).isPresent()) {
            return "AppArmor forbids unprivileged user namespaces here (" + APPARMOR_SYSCTL + " = 1, Ubuntu 23.10+). "
                    + "Either allow them to bubblewrap only, with an AppArmor profile: " + profile("bwrap", bwrap)
                    + " && sudo apparmor_parser -r /etc/apparmor.d/bwrap "
                    + "(trade-off: any local program can make user namespaces through bwrap, though only inside its sandbox); "
                    + "or lift the restriction for every program: sudo sysctl " + APPARMOR_SYSCTL + "=0, kept across reboots in "
                    + "/etc/sysctl.d/60-kavach-userns.conf (trade-off: gives up the kernel attack-surface reduction Ubuntu turned on); "
                    + "or run Kavach as root";
        }
        if (usernsClone.filter("0"::equals).isPresent()) {
            return "sudo sysctl kernel.unprivileged_userns_clone=1 (kept in /etc/sysctl.d/), or run Kavach as root";
        }
        if (maxUserNamespaces.filter("0"::equals).isPresent()) {
            return "sudo sysctl user.max_user_namespaces=15000 (kept in /etc/sysctl.d/), or run Kavach as root";
        }
        return "allow this user to create user namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0, "
                + "and on Ubuntu an AppArmor profile allowing userns for bwrap), or run Kavach as root";
    }

    /** A shell command that writes an unconfined profile allowing user namespaces to one binary. */
    static String profile(String name, String binary) {
        return "printf 'abi <abi/4.0>,\\nprofile " + name + " " + binary + " flags=(unconfined) {\\n  userns,\\n}\\n' | sudo tee /etc/apparmor.d/" + name;
    }

    private static Optional<String> sysctl(String name) {
        return HostTools.read(Path.of("/proc/sys", name));
    }
}
