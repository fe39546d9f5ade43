package dev.kavach.backend.process;

import dev.kavach.api.ConfigurationException;
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

    @Test
    void autoAsRootIsNobodyFromPasswdAndDropsPrivileges() {
        RunAs runAs = RunAs.resolve("auto", 0, 0, PASSWD);
        assertEquals(new RunAs(65000, 65001, "nobody", true, false), runAs);
        assertTrue(runAs.describe().contains("uid 65000 gid 65001 (nobody)"), runAs.describe());
        assertEquals(new RunAs(65534, 65534, "65534", true, false), RunAs.resolve("auto", 0, 0, ""), "no nobody entry: 65534");
    }

    @Test
    void autoAsAnotherUserIsThatUserUnchanged() {
        assertEquals(new RunAs(1000, 1000, "build", false, false), RunAs.resolve("auto", 1000, 1000, PASSWD));
    }

    @Test
    void rootOnlyWhenAskedForByNameAndThenSaidLoudly() {
        RunAs root = RunAs.resolve("root", 0, 0, PASSWD);
        assertTrue(root.hostRoot());
        assertFalse(root.dropFromRoot());
        assertTrue(root.describe().startsWith("WARNING"), root.describe());
        ConfigurationException zero = assertThrows(ConfigurationException.class, () -> RunAs.resolve("0:0", 0, 0, PASSWD));
        assertTrue(zero.fix().contains("run-as = root"), zero.fix());
        assertThrows(ConfigurationException.class, () -> RunAs.resolve("0:65534", 0, 0, PASSWD));
        ConfigurationException notRoot = assertThrows(ConfigurationException.class, () -> RunAs.resolve("root", 1000, 1000, PASSWD));
        assertTrue(notRoot.getMessage().contains("uid 1000"), notRoot.getMessage());
    }

    @Test
    void numericAndNamedUsers() {
        assertEquals(new RunAs(65534, 65534, "65534", true, false), RunAs.resolve("65534:65534", 0, 0, PASSWD));
        assertEquals(new RunAs(1000, 1000, "build", true, false), RunAs.resolve("build", 0, 0, PASSWD));
        assertEquals(new RunAs(1000, 1000, "build", false, false), RunAs.resolve("1000:1000", 1000, 1000, PASSWD), "already that user");
        ConfigurationException missing = assertThrows(ConfigurationException.class, () -> RunAs.resolve("ghost", 0, 0, PASSWD));
        assertTrue(missing.getMessage().contains("ghost") && missing.getMessage().contains("run-as"), missing.getMessage());
        ConfigurationException other = assertThrows(ConfigurationException.class, () -> RunAs.resolve("65534:65534", 1000, 1000, PASSWD));
        assertTrue(other.fix().contains("root"), other.fix());
    }

    @Test
    void setprivGetsNumbersOnly() {
        assertEquals(java.util.List.of("--reuid", "65000", "--regid", "65001", "--clear-groups", "--no-new-privs", "--"),
                RunAs.resolve("auto", 0, 0, PASSWD).setprivArgs());
    }
}
