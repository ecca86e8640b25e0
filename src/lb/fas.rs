//! `balance first` (`lb_fas.c`): the usable server with the lowest `puid` that still has
//! a free slot.

use super::common::{group, Group};
use super::{Balancer, LbOptions, Pick, ServerSet};

pub struct Fas {
    opts: LbOptions,
}

impl Fas {
    pub fn new(opts: LbOptions) -> Self {
        Fas { opts }
    }
}

impl Balancer for Fas {
    fn pick(&self, set: &dyn ServerSet, key: Option<&[u8]>) -> Pick {
        self.pick_avoid(set, key, None)
    }

    fn pick_avoid(&self, set: &dyn ServerSet, _key: Option<&[u8]>, avoid: Option<usize>) -> Pick {
        let usable = |i: usize| set.usable(i) && set.weight(i) > 0;
        let backup = match group(set, &self.opts, usable) {
            Group::Active => false,
            Group::Backups => true,
            Group::FirstBackup(i) => return Pick::Server(i),
            Group::Nothing => return Pick::NoServer,
        };
        let mut cands: Vec<usize> = (0..set.len())
            .filter(|&i| usable(i) && set.is_backup(i) == backup)
            .collect();
        cands.sort_by_key(|&i| set.puid(i));
        let mut avoided = None;
        for i in cands {
            if !set.saturated(i) {
                if Some(i) != avoid {
                    return Pick::Server(i);
                }
                avoided = Some(i);
            }
        }
        avoided.map_or(Pick::Full, Pick::Server)
    }

    fn update(&self, _set: &dyn ServerSet) {}
}
