/* Facts of the virtio 1.x specification that every transport and back end
 * shares: device status bits (§2.1), reserved feature bits (§6), device IDs
 * (§5). Values, not code: a transport or a back end includes this. */
#ifndef RV_VIRTIO_H
#define RV_VIRTIO_H

/* Device status field (§2.1). The driver sets all but NEEDS_RESET, which only
 * the device sets. */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define VIRTIO_STATUS_DRIVER 0x02u
#define VIRTIO_STATUS_DRIVER_OK 0x04u
#define VIRTIO_STATUS_FEATURES_OK 0x08u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED 0x80u

/* Feature bits the transport and the queues own (§6). */
#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)

/* Device IDs (§5). */
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_BLOCK 2u
#define VIRTIO_ID_CONSOLE 3u
#define VIRTIO_ID_RNG 4u

#endif
