package dev.kavach.backend.sev.cli;

import dev.kavach.attestation.snp.AttestationReport;
import dev.kavach.attestation.snp.GuestPolicy;
import dev.kavach.attestation.snp.PlatformInfo;
import dev.kavach.attestation.snp.SevGeneration;
import dev.kavach.attestation.snp.TcbVersion;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every field of a report, decoded, in report order: what {@code kavach attest show} prints. */
final class ReportFields {
    private ReportFields() {
    }

    public static Map<String, Object> describe(AttestationReport r, SevGeneration layout, String layoutBasis) {
        HexFormat hex = HexFormat.of();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", r.version());
        m.put("tcb_layout", layout.kdsName() + " (" + layoutBasis + ")");
        m.put("guest_svn", r.guestSvn());
        m.put("policy", policy(r.policy()));
        m.put("family_id", hex.formatHex(r.familyId()));
        m.put("image_id", hex.formatHex(r.imageId()));
        m.put("vmpl", Integer.toUnsignedLong(r.vmpl()));
        m.put("signature_algo", r.signatureAlgo() + " (ECDSA P-384 with SHA-384)");
        m.put("current_tcb", tcb(r.currentTcb(layout)));
        m.put("platform_info", platform(r.platformInfo()));
        Map<String, Object> keyInfo = new LinkedHashMap<>();
        keyInfo.put("raw", String.format("0x%x", r.keyInfoRaw()));
        keyInfo.put("author_key_en", r.authorKeyEnabled());
        keyInfo.put("mask_chip_key", r.maskChipKey());
        keyInfo.put("signing_key", r.signingKey().name());
        m.put("key_info", keyInfo);
        m.put("report_data", hex.formatHex(r.reportData()));
        m.put("measurement", hex.formatHex(r.measurement()));
        m.put("host_data", hex.formatHex(r.hostData()));
        m.put("id_key_digest", hex.formatHex(r.idKeyDigest()));
        m.put("author_key_digest", hex.formatHex(r.authorKeyDigest()));
        m.put("report_id", hex.formatHex(r.reportId()));
        m.put("report_id_ma", hex.formatHex(r.reportIdMa()));
        m.put("reported_tcb", tcb(r.reportedTcb(layout)));
        if (r.version() >= 3) {
            m.put("cpuid_fam_id", String.format("0x%02x", r.cpuidFamily().getAsInt()));
            m.put("cpuid_mod_id", String.format("0x%02x", r.cpuidModel().getAsInt()));
            m.put("cpuid_step", String.format("0x%02x", r.cpuidStepping().getAsInt()));
        }
        m.put("chip_id", hex.formatHex(r.chipId()) + (r.chipIdMasked() ? " (masked)" : ""));
        m.put("committed_tcb", tcb(r.committedTcb(layout)));
        m.put("current_version", r.currentVersion().toString());
        m.put("committed_version", r.committedVersion().toString());
        m.put("launch_tcb", tcb(r.launchTcb(layout)));
        if (r.version() >= 5) {
            m.put("launch_mit_vector", String.format("0x%016x", r.launchMitVector().getAsLong()));
            m.put("current_mit_vector", String.format("0x%016x", r.currentMitVector().getAsLong()));
        }
        Map<String, Object> sig = new LinkedHashMap<>();
        sig.put("r", hex.formatHex(r.signatureR()));
        sig.put("s", hex.formatHex(r.signatureS()));
        m.put("signature", sig);
        return m;
    }

    static Map<String, Object> tcb(TcbVersion tcb) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("raw", String.format("0x%016x", tcb.raw()));
        m.putAll(tcb.components());
        return m;
    }

    private static Map<String, Object> policy(GuestPolicy p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("raw", p.toString());
        m.put("abi", p.abiMajor() + "." + p.abiMinor());
        m.put("smt_allowed", p.smtAllowed());
        m.put("migration_agent_allowed", p.migrationAgentAllowed());
        m.put("debug_allowed", p.debugAllowed());
        m.put("single_socket", p.singleSocketOnly());
        m.put("cxl_allowed", p.cxlAllowed());
        m.put("mem_aes_256_xts", p.memAes256Xts());
        m.put("rapl_disabled", p.raplDisabled());
        m.put("ciphertext_hiding", p.ciphertextHiding());
        m.put("page_swap_disabled", p.pageSwapDisabled());
        return m;
    }

    private static Map<String, Object> platform(PlatformInfo p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("raw", p.toString());
        m.put("smt_enabled", p.smtEnabled());
        m.put("tsme_enabled", p.tsmeEnabled());
        m.put("ecc_enabled", p.eccEnabled());
        m.put("rapl_disabled", p.raplDisabled());
        m.put("ciphertext_hiding_enabled", p.ciphertextHidingEnabled());
        m.put("alias_check_complete", p.aliasCheckComplete());
        m.put("tio_enabled", p.tioEnabled());
        return m;
    }

    /** Indented {@code name: value} lines. */
    public static String text(Map<String, Object> fields) {
        StringBuilder out = new StringBuilder();
        text(out, fields, 0);
        return out.toString();
    }

    private static void text(StringBuilder out, Map<?, ?> fields, int indent) {
        for (Map.Entry<?, ?> e : fields.entrySet()) {
            out.append("  ".repeat(indent)).append(e.getKey()).append(':');
            if (e.getValue() instanceof Map<?, ?> nested) {
                out.append('\n');
                text(out, nested, indent + 1);
            } else {
                out.append(' ').append(e.getValue()).append('\n');
            }
        }
    }
}
