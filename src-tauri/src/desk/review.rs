use super::Desk;

impl Desk {}
