package dev.kavach.backend.process;

import dev.kavach.api.ConfigurationException;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which host user a command runs as, for each setting and for Kavach running as root or not. */
class RunAsTest {
    private static final String PASSWD = String.join("\n",
            "root:x:0:0:root:/root:/bin/bash",
            "build:x:1000:1000::/home/build:/bin/sh",
            "nobody:x:65000:65001:nobody:/nonexistent:/usr/sbin/nologin");

    private static final ProcessBackendSettings.IdRange RANGE = ProcessBackendSettings.DEFAULT_ID_RANGE;

    @Test
    void autoAsRootGivesEverySandboxAnIdOfItsOwn() {
        RunAs runAs = RunAs.resolve("auto", 0, 0, PASSWD);
        assertTrue(runAs.perSandbox() && runAs.dropFromRoot(), runAs.toString());
        assertTrue(runAs.describe(RANGE).contains("of its own per sandbox") && runAs.describe(RANGE).contains(RANGE.toString()),
                runAs.describe(RANGE));
        assertEquals(new RunAs(2_000_000_007, 2_000_000_007, "sandbox id 2000000007", true, false, false), runAs.forSandbox(2_000_000_007));
        assertEquals(List.of("--reuid", "2000000007", "--regid", "2000000007", "--clear-groups", "--no-new-privs", "--"),
                runAs.forSandbox(2_000_000_007).setprivArgs());
        assertThrows(IllegalStateException.class, runAs::setprivArgs, "no ids before a sandbox holds one");
    }

    @Test
    void autoAsAnotherUserIsThatUserUnchanged() {
        RunAs build = RunAs.resolve("auto", 1000, 1000, PASSWD);
        assertEquals(new RunAs(1000, 1000, "build", false, false, false), build);
        assertEquals(build, build.forSandbox(2_000_000_007), "a non-root Kavach cannot hand out ids");
        assertTrue(build.describe(RANGE).contains("namespaces"), "says how sandboxes of one user are kept apart: " + build.describe(RANGE));
    }

    @Test
    void rootOnlyWhenAskedForByNameAndThenSaidLoudly() {
        RunAs root = RunAs.resolve("root", 0, 0, PASSWD);
        assertTrue(root.hostRoot());
        assertFalse(root.dropFromRoot());
        assertTrue(root.describe(RANGE).startsWith("WARNING"), root.describe(RANGE));
        ConfigurationException zero = assertThrows(ConfigurationException.class, () -> RunAs.resolve("0:0", 0, 0, PASSWD));
        assertTrue(zero.fix().contains("run-as = root"), zero.fix());
        assertThrows(ConfigurationException.class, () -> RunAs.resolve("0:65534", 0, 0, PASSWD));
        ConfigurationException notRoot = assertThrows(ConfigurationException.class, () -> RunAs.resolve("root", 1000, 1000, PASSWD));
        assertTrue(notRoot.getMessage().contains("uid 1000"), notRoot.getMessage());
    }

    @Test
    void numericAndNamedUsers() {
        assertEquals(new RunAs(65534, 65534, "65534", true, false, false), RunAs.resolve("65534:65534", 0, 0, PASSWD));
        assertEquals(new RunAs(1000, 1000, "build", true, false, false), RunAs.resolve("build", 0, 0, PASSWD));
        assertEquals(new RunAs(1000, 1000, "build", false, false, false), RunAs.resolve("1000:1000", 1000, 1000, PASSWD), "already that user");
        ConfigurationException missing = assertThrows(ConfigurationException.class, () -> RunAs.resolve("ghost", 0, 0, PASSWD));
        assertTrue(missing.getMessage().contains("ghost") && missing.getMessage().contains("run-as"), missing.getMessage());
        ConfigurationException other = assertThrows(ConfigurationException.class, () -> RunAs.resolve("65534:65534", 1000, 1000, PASSWD));
        assertTrue(other.fix().contains("root"), other.fix());
    }

    @Test
    void setprivGetsNumbersOnly() {
        assertEquals(java.util.List.of("--reuid", "65000", "--regid", "65001", "--clear-groups", "--no-new-privs", "--"),
                RunAs.resolve("nobody", 0, 0, PASSWD).setprivArgs());
    }
}
