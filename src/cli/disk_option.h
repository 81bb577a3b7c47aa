/* --disk FILE[,ro]: one raw disk image for the guest, vda for the first
 * given, vdb for the next. The value is checked here for what the command
 * line alone decides (a file name, known suboptions, how many disks); the
 * image itself is opened and checked when the VM is created
 * (devices/virtio/blk_disk.h), still before anything runs. */
#ifndef RV_DISK_OPTION_H
#define RV_DISK_OPTION_H

#include "vm/config.h"

/* Adds the disk to cfg. The value is cut at its first comma (it points into
 * argv, and the path stays there). 0, or STATUS_CONFIG after one line on
 * stderr. */
int disk_option_parse(char *value, struct vm_config *cfg);

#endif
