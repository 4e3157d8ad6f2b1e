//! Values derived from a model once, by type (see [`super::Model::derived`]).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Slot = Arc<dyn Any + Send + Sync>;

/// One value per type. A clone of the model starts empty (its values are derived again).
#[derive(Default)]
pub struct Derived {
    values: Mutex<HashMap<TypeId, Slot>>,
}

impl Clone for Derived {
    fn clone(&self) -> Self {
        Derived::default()
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derived")
    }
}

impl Derived {
    pub fn get_or_build<T: Any + Send + Sync>(&self, build: impl FnOnce() -> T) -> Arc<T> {
        let key = TypeId::of::<T>();
        if let Some(v) = self.lock().get(&key) {
            return Arc::clone(v)
                .downcast::<T>()
                .expect("a slot holds its type");
        }
        // Built without the lock: building may derive other values.
        let built: Slot = Arc::new(build());
        let v = Arc::clone(self.lock().entry(key).or_insert(built));
        v.downcast::<T>().expect("a slot holds its type")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TypeId, Slot>> {
        // A panic while the lock was held left the map as it was: keep using it.
        self.values.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_is_built_once() {
        let d = Derived::default();
        let mut builds = 0;
        let a = d.get_or_build(|| {
            builds += 1;
            7u32
        });
        let b = d.get_or_build(|| {
            builds += 1;
            8u32
        });
        let s = d.get_or_build(|| String::from("x"));
        assert_eq!((*a, *b, s.as_str(), builds), (7, 7, "x", 1));
    }
}
