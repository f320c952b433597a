package dev.lbipam.ipam.configmap;

/** How a pool value is written; decided by the value (a '/' means CIDRs), not by the key name. */
public enum PoolKind {
  CIDR("cidr"),
  RANGE("range");

  private final String word;

  PoolKind(String word) {
    this.word = word;
  }

  /** {@code cidr} or {@code range}, as kube-vip's messages say. */
  public String word() {
    return word;
  }
}
