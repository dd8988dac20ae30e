/** VM images the tests use. */

/** Ubuntu 22.04 (Jammy), an image the rules know to support Accelerated Networking. */
export const JAMMY = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};
