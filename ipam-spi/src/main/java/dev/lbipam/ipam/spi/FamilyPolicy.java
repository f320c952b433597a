package dev.lbipam.ipam.spi;

/** The Service's {@code spec.ipFamilyPolicy}. */
public enum FamilyPolicy {
  SINGLE_STACK,
  PREFER_DUAL_STACK,
  REQUIRE_DUAL_STACK;

  /** Parses the Kubernetes value; null or empty means single stack. */
  public static FamilyPolicy fromKubernetes(String value) {
    if (value == null || value.isEmpty() || value.equals("SingleStack")) {
      return SINGLE_STACK;
    }
    if (value.equals("PreferDualStack")) {
      return PREFER_DUAL_STACK;
    }
    if (value.equals("RequireDualStack")) {
      return REQUIRE_DUAL_STACK;
    }
    throw new IllegalArgumentException("unknown ipFamilyPolicy: " + value);
  }
}
