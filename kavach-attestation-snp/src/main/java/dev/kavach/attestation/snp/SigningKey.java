package dev.kavach.attestation.snp;

/** Which key signed a report (KEY_INFO bits 4:2). */
public enum SigningKey {
    /** Versioned Chip Endorsement Key: per chip and TCB, from AMD's KDS. */
    VCEK,
    /** Versioned Loaded Endorsement Key: per cloud provider, issued by AMD under the ASVK. */
    VLEK,
    /** The report is unsigned. */
    NONE
}
