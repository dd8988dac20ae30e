/** VM images the tests use. */

/** Ubuntu 22.04 (Jammy), an image the rules know to support Accelerated Networking. */
export const JAMMY = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};

/**
 * Ubuntu 20.04 (Focal): supported for Accelerated Networking, but its guest carries the Mellanox
 * driver only, not MANA's.
 */
export const FOCAL = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-focal',
  sku: '20_04-lts-gen2',
};
