package dev.lbipam.testsupport.netbox;

import dev.lbipam.testsupport.netbox.NetBoxStandIn.RecordedAddress;
import java.util.List;

/**
 * A NetBox an end-to-end test runs the controller against, with fault switches and an
 * administrator's hand: the stand-in itself, or {@link ProxiedRealNetBox} (a real NetBox behind a
 * {@link NetBoxFaultProxy}). One test body runs on both.
 */
public interface NetBoxUnderTest extends FaultyNetBox, AutoCloseable {
  /** The token the controller gets as its {@code netbox-token} secret. */
  String controllerToken();

  /** A prefix in the global table; returns its id. */
  long createPrefix(String cidr);

  /** An IP address record as a person would make it (no tag, no claim); returns its id. */
  long createAddress(String address, Long vrfId, String description);

  /** Deletes an address record as a person would in the UI. */
  boolean deleteAddress(long id);

  /** Every IP address record NetBox holds. */
  List<RecordedAddress> addresses();

  @Override
  void close();
}
