package dev.kavach.backend.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UserNamespaceFixTest {
    private static final Optional<String> NONE = Optional.empty();

    @Test
    void ubuntusAppArmorRestrictionGetsTheProfileAndTheSysctlWithTheirTradeOffs() {
        String fix = UserNamespaceFix.fix(Optional.of("1"), NONE, Optional.of("63000"), "/usr/bin/bwrap");
        assertTrue(fix.startsWith("AppArmor forbids unprivileged user namespaces here (kernel.apparmor_restrict_unprivileged_userns = 1"), fix);
        assertTrue(fix.contains("| sudo tee /etc/apparmor.d/bwrap"), fix);
        assertTrue(fix.contains("&& sudo apparmor_parser -r /etc/apparmor.d/bwrap "), fix);
        assertTrue(fix.contains("trade-off: any local program can make user namespaces through bwrap"), fix);
        assertTrue(fix.contains("sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0"), fix);
        assertTrue(fix.contains("trade-off: gives up the kernel attack-surface reduction"), fix);
    }

    @Test
    void theProfileCommandWritesAValidUnconfinedProfileForTheBinary() throws IOException, InterruptedException {
        String command = UserNamespaceFix.profile("bwrap", "/opt/bin/bwrap");
        String printf = command.substring(0, command.indexOf(" | sudo tee /etc/apparmor.d/bwrap"));
        assertEquals(command, printf + " | sudo tee /etc/apparmor.d/bwrap");
        Process sh = new ProcessBuilder(List.of("/bin/sh", "-c", printf)).redirectErrorStream(true).start();
        String profile = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, sh.waitFor());
        assertEquals("abi <abi/4.0>,\nprofile bwrap /opt/bin/bwrap flags=(unconfined) {\n  userns,\n}\n", profile);
    }

    @Test
    void eachOtherBlockGetsItsOwnSysctl() {
        assertEquals("sudo sysctl kernel.unprivileged_userns_clone=1 (kept in /etc/sysctl.d/), or run Kavach as root",
                UserNamespaceFix.fix(Optional.of("0"), Optional.of("0"), Optional.of("100"), "/usr/bin/bwrap"));
        assertEquals("sudo sysctl user.max_user_namespaces=15000 (kept in /etc/sysctl.d/), or run Kavach as root",
                UserNamespaceFix.fix(NONE, Optional.of("1"), Optional.of("0"), "/usr/bin/bwrap"));
        String unknown = UserNamespaceFix.fix(NONE, NONE, NONE, "/usr/bin/bwrap");
        assertFalse(unknown.contains("apparmor_restrict"), unknown);
        assertTrue(unknown.contains("or run Kavach as root"), unknown);
    }
}
