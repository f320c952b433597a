package dev.lbipam.controller;

import dev.lbipam.ipam.spi.IpamBackend;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Service;
import java.time.Duration;

/**
 * The controller loop's parts, wired in one place: {@link ControllerApp} runs them with informers
 * and the API server, the in-process tests drive them synchronously.
 */
final class ControllerLoop {
  /** What the loop is given: where it reads, writes and reports, and its settings. */
  record Inputs(
      String clusterId,
      ServiceDecider.Scope scope,
      IpamBackend backend,
      Lister<V1Service> services,
      Lister<V1ConfigMap> configMaps,
      String configMapNamespace,
      String configMapName,
      ServiceWriter writer,
      Events events,
      Metrics metrics,
      AddressClaims claims,
      LeaseFence fence,
      Duration claimGrace,
      WaitingServices waiting) {}

  final ServiceReconciler services;
  final PoolConfigWatcher poolConfig;
  final StandbyHoldings standby;
  final StartupIndex startup;
  final Maintenance maintenance;

  ControllerLoop(Inputs in) {
    Owners owners = new Owners(in.clusterId());
    ClaimKeeper claims =
        new ClaimKeeper(in.clusterId(), in.scope(), in.backend(), in.services(), in.claims(), in.events(), in.metrics(),
            in.claimGrace());
    Holdings holdings = new Holdings(in.clusterId(), in.backend(), in.services(), in.scope(), owners, in.events());
    LiveOwners live = new LiveOwners(in.clusterId(), in.services(), claims, owners);
    RestoreGate gate = new RestoreGate();
    poolConfig = new PoolConfigWatcher(in.backend(), in.configMaps(), in.configMapNamespace(), in.configMapName(),
        in.metrics(), in.waiting());
    standby = new StandbyHoldings(holdings, in.services());
    startup = new StartupIndex(poolConfig, standby, in.backend(), live, claims, in.services(), in.scope());
    maintenance = new Maintenance(startup, in.backend(), holdings, live, claims, in.waiting(), gate, in.metrics());
    OwnWrites writes = new OwnWrites(in.writer());
    ServiceActions actions =
        new ServiceActions(in.backend(), holdings, owners, claims, in.waiting(), writes, in.events(), in.metrics());
    services =
        new ServiceReconciler(in.services(), in.scope(), owners, actions, new Allocation(actions, in.fence(), gate, poolConfig),
            in.waiting(), writes, in.events(), in.metrics(), in.fence());
  }
}
