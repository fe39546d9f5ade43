/**
 * AMD SEV-SNP attestation: parses reports, verifies their VCEK/VLEK chains against AMD's roots, appraises them
 * against a policy, and checks Kavach's portable evidence (the report bound to a result statement). Usable on its
 * own by a verifier that never runs a VM; the sev backend plugin bundles it in its plugin folder.
 */
module dev.kavach.attestation.snp {
    // The checks and the verdict are kavach-api's Attestation types (java.base only).
    requires transitive dev.kavach.api;
    // Evidence and --json output (jackson-core, streaming only).
    requires com.fasterxml.jackson.core;
    // Optional: only a KDS fetch needs it, and a plugin layer cannot add a JDK module the host's boot layer lacks;
    // KdsClient says how to add it when a fetch is asked for.
    requires static java.net.http;

    exports dev.kavach.attestation.snp;
}
