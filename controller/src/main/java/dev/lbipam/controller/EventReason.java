package dev.lbipam.controller;

import dev.lbipam.ipam.spi.RejectReason;

/** Event reasons: kube-vip's where they exist, precise ones otherwise. */
public enum EventReason {
  EnsuringLoadBalancer,
  EnsuredLoadBalancer,
  DeletingLoadBalancer,
  DeletedLoadBalancer,
  SyncLoadBalancerFailed,
  PoolExhausted,
  NoPool,
  InvalidPoolConfig,
  InvalidAnnotation,
  AddressInUse,
  BackendUnavailable,
  /** Addresses were given, with something the user should know: a family PreferDualStack missed, a key ignored. */
  AllocationNote;

  public static EventReason of(RejectReason reason) {
    return switch (reason) {
      case POOL_EXHAUSTED -> PoolExhausted;
      case NO_POOL -> NoPool;
      case INVALID_CONFIG -> InvalidPoolConfig;
      case ADDRESS_IN_USE -> AddressInUse;
      case INVALID_REQUEST -> SyncLoadBalancerFailed;
      case BACKEND_UNAVAILABLE -> BackendUnavailable;
    };
  }
}
