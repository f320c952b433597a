package dev.lbipam.controller;

/** The identifiers kube-vip-cloud-provider and its data plane use; kept exactly. */
public final class KubeVipNames {
  public static final String ADDRESSES_ANNOTATION = "kube-vip.io/loadbalancerIPs";
  public static final String INTERFACE_ANNOTATION = "kube-vip.io/serviceInterface";
  public static final String IMPLEMENTATION_LABEL = "implementation";
  public static final String IMPLEMENTATION_VALUE = "kube-vip";
  public static final String LEGACY_ADDRESS_LABEL = "ipam-address";
  public static final String FINALIZER = "service.kubernetes.io/load-balancer-cleanup";
  public static final String FIELD_MANAGER = "lbipam";

  private KubeVipNames() {}
}
