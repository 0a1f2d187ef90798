//! # sqz-superop: the Liouvillian of Eq. 3 in the 4^N space (skeleton)
